using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plinto.Bench;

/// <summary>
/// Turns the result files of one bench/run.sh run into a dated section of docs/performance.md: one row per
/// scenario with both servers side by side and the Plinto/peer ratio, the raw limits, memory and start time.
/// Result files: <c>{scenario}.{server}.json</c> written by bench/lua/common.lua, <c>raw.json</c>, <c>host.json</c>.
/// </summary>
internal static class Report
{
    private static readonly (string Scenario, string Title, string PlintoRun, string PeerRun, string Unit)[] Rows =
    [
        ("discovery", "discovery + JWKS (alternating)", "plinto", "peer", "requests/s"),
        ("cc", "client_credentials, RS256 access tokens", "plinto", "peer", "requests/s"),
        ("cc", "client_credentials, Plinto ES256 vs peer RS256", "plinto-es256", "peer", "requests/s"),
        ("cc", "client_credentials, both ES256", "plinto-es256", "peer-es256", "requests/s"),
        ("refresh", "refresh_token (rotated every use)", "plinto", "peer", "requests/s"),
        ("refresh", "refresh_token, both ES256 access tokens", "plinto-es256", "peer-es256", "requests/s"),
        ("introspect", "introspection of an access token", "plinto", "peer", "requests/s"),
        ("code", "authorization code + PKCE with a session (authorize + token)", "plinto", "peer", "flows/s"),
        ("code", "authorization code + PKCE, both ES256 access tokens", "plinto-es256", "peer-es256", "flows/s"),
        ("signin", "password sign-in (form post)", "plinto", "peer", "requests/s"),
    ];

    public static int Run(string results, string markdown)
    {
        var raw = Read(Path.Combine(results, "raw.json"))!.Value;
        var host = Read(Path.Combine(results, "host.json"))!.Value;
        var text = new StringBuilder();
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## Benchmark run — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {host.GetProperty("cpu").GetString()}, {Number(raw, "cores")} cores, {host.GetProperty("memory").GetString()}; " +
            $"{host.GetProperty("os").GetString()}. Plinto {host.GetProperty("plinto").GetString()} (Release, Production, PostgreSQL {host.GetProperty("postgres").GetString()} " +
            $"on the same machine); peer: oidc-provider {host.GetProperty("peer").GetString()} on Node.js {host.GetProperty("node").GetString()}. " +
            $"Load: `{host.GetProperty("wrk").GetString()}` on loopback, the same machine (so the load generator takes part of the cores).");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Command: `{host.GetProperty("command").GetString()}`").AppendLine();
        text.AppendLine("| scenario | Plinto | p50 / p99 ms | errors | peer | p50 / p99 ms | errors | Plinto / peer |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            var plinto = Read(Path.Combine(results, $"{row.Scenario}.{row.PlintoRun}.json"));
            var peer = Read(Path.Combine(results, $"{row.Scenario}.{row.PeerRun}.json"));
            if (plinto is null || peer is null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Title} | not run | | | | | | |");
                continue;
            }

            // A flow is two requests (authorize, then token).
            var divisor = row.Unit == "flows/s" ? 2 : 1;
            var a = plinto.Value.GetProperty("rps").GetDouble() / divisor;
            var b = peer.Value.GetProperty("rps").GetDouble() / divisor;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Title} | {a:N0} {row.Unit} | {Latency(plinto.Value)} | {Errors(plinto.Value)} | {b:N0} {row.Unit} | {Latency(peer.Value)} | {Errors(peer.Value)} | **{a / b:0.00}×** |");
        }

        var signIn = Read(Path.Combine(results, "signin.plinto.json"));
        var probe = Read(Path.Combine(results, "signin-probe.plinto.json"));
        var idleProbe = Read(Path.Combine(results, "probe.plinto.json"));
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Raw limits on this machine (.NET, {Number(raw, "cores")} threads / 1 thread): RS256 signatures {Number(raw, "rs256_per_s_all")}/s / {Number(raw, "rs256_per_s_1")}/s; " +
            $"ES256 signatures {Number(raw, "es256_per_s_all")}/s / {Number(raw, "es256_per_s_1")}/s; PBKDF2-HMAC-SHA512 with {Number(raw, "pbkdf2_iterations")} iterations " +
            $"(Plinto's password hash) {raw.GetProperty("pbkdf2_per_s_all").GetDouble():0.0}/s / {raw.GetProperty("pbkdf2_per_s_1").GetDouble():0.0}/s.");
        if (signIn is not null)
        {
            var share = signIn.Value.GetProperty("rps").GetDouble() / raw.GetProperty("pbkdf2_per_s_all").GetDouble();
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Password sign-in reaches **{share:P0}** of the raw hash rate. While sign-ins saturate the CPU, a light probe (discovery + JWKS, 2 connections, one request per 20 ms each) " +
                $"gets answers in p50 / p99 {(probe is null ? "n/a" : Latency(probe.Value))} ms (idle: {(idleProbe is null ? "n/a" : Latency(idleProbe.Value))} ms).");
        }

        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Plinto's memory: peak RSS over the PostgreSQL scenarios {host.GetProperty("peak_rss_mb").GetString()} MB (with ES256: {host.GetProperty("peak_rss_es256_mb").GetString()} MB); " +
            $"on SQLite, idle RSS 3 s after ready {host.GetProperty("idle_rss_mb").GetString()} MB, start to ready {host.GetProperty("start_seconds").GetString()} s " +
            $"(first start, creating the database: {host.GetProperty("first_start_seconds").GetString()} s).");

        File.AppendAllText(markdown, text.ToString());
        Console.Write(text);
        return 0;
    }

    private static JsonElement? Read(string file) =>
        File.Exists(file) ? JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone() : null;

    private static string Number(JsonElement element, string name) => element.GetProperty(name).GetDouble().ToString("N0", CultureInfo.InvariantCulture);

    private static string Latency(JsonElement result) =>
        string.Create(CultureInfo.InvariantCulture, $"{result.GetProperty("p50_ms").GetDouble():0.0} / {result.GetProperty("p99_ms").GetDouble():0.0}");

    private static string Errors(JsonElement result) => result.GetProperty("errors").GetInt32().ToString(CultureInfo.InvariantCulture);
}
