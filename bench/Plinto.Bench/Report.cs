using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plinto.Bench;

/// <summary>
/// Turns the result files of one bench/run.sh run into a dated section of docs/performance.md: one row per
/// scenario with both servers side by side and the Plinto/peer ratio, the raw limits, memory and start time.
/// Result files: <c>{scenario}.{server}.{round}.json</c> written by bench/lua/common.lua, <c>signin.raw.{round}.json</c>,
/// <c>raw.json</c>, <c>host.json</c>.
/// </summary>
internal static class Report
{
    // Paired: both runs come from the same servers' start, measured in alternating windows, so the ratio is the median
    // of the per-round ratios. The ES256-against-RS256 row compares two different starts: a ratio of medians.
    // PeerStored: the peer ran with its PostgreSQL store (on the same database server as Plinto), so the database's CPU
    // in its windows is its own and is counted with it.
    private static readonly (string Scenario, string Title, string PlintoRun, string PeerRun, string Unit, bool Paired, bool PeerStored)[] Rows =
    [
        ("discovery", "discovery + JWKS (alternating)", "plinto", "peer", "requests/s", true, false),
        ("cc", "client_credentials, RS256 access tokens", "plinto", "peer", "requests/s", true, false),
        ("cc", "client_credentials, Plinto ES256 vs peer RS256", "plinto-es256", "peer", "requests/s", false, false),
        ("cc", "client_credentials, both ES256", "plinto-es256", "peer-es256", "requests/s", true, false),
        ("refresh", "refresh_token (rotated every use)", "plinto", "peer", "requests/s", true, false),
        ("refresh", "refresh_token, peer with a PostgreSQL store", "plinto-pgpeer", "peer-pg", "requests/s", true, true),
        ("refresh", "refresh_token, both ES256 access tokens", "plinto-es256", "peer-es256", "requests/s", true, false),
        ("introspect", "introspection of an access token", "plinto", "peer", "requests/s", true, false),
        ("code", "authorization code + PKCE with a session (authorize + token)", "plinto", "peer", "flows/s", true, false),
        ("code", "authorization code + PKCE, peer with a PostgreSQL store", "plinto-pgpeer", "peer-pg", "flows/s", true, true),
        ("code", "authorization code + PKCE, both ES256 access tokens", "plinto-es256", "peer-es256", "flows/s", true, false),
        ("signin", "password sign-in (form post)", "plinto", "peer", "requests/s", true, false),
    ];

    public static int Run(string results, string markdown)
    {
        var raw = Read(Path.Combine(results, "raw.json"))!.Value;
        var host = Read(Path.Combine(results, "host.json"))!.Value;
        var text = new StringBuilder();
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## Benchmark run — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {host.GetProperty("cpu").GetString()}, {Number(raw, "cores")} cores, {host.GetProperty("memory").GetString()}; " +
            $"{host.GetProperty("os").GetString()}. Plinto {host.GetProperty("plinto").GetString()} (Release, Production, PostgreSQL {host.GetProperty("postgres").GetString()} " +
            $"on the same machine); peer: oidc-provider {host.GetProperty("peer").GetString()} on Node.js {host.GetProperty("node").GetString()} with an in-memory store " +
            $"(rows \"peer with a PostgreSQL store\": with a store of one table on the same PostgreSQL server, bench/peer/server.mjs). " +
            $"Load: `{host.GetProperty("wrk").GetString()}` on loopback, the same machine (so the load generator takes part of the cores).");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Command: `{host.GetProperty("command").GetString()}`").AppendLine();
        text.AppendLine("| scenario | Plinto | p50 / p99 ms | errors | peer | p50 / p99 ms | errors | Plinto / peer | by round |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            var plinto = Rounds(results, $"{row.Scenario}.{row.PlintoRun}");
            var peer = Rounds(results, $"{row.Scenario}.{row.PeerRun}");
            if (plinto.Count == 0 || peer.Count == 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Title} | not run | | | | | | | |");
                continue;
            }

            // A flow is two requests (authorize, then token).
            var divisor = row.Unit == "flows/s" ? 2 : 1;
            var a = MedianRound(plinto);
            var b = MedianRound(peer);
            var ratios = row.Paired ? plinto.Zip(peer, (p, q) => Rate(p) / Rate(q)).ToList() : [];
            var ratio = row.Paired ? Median(ratios) : Rate(a) / Rate(b);
            var byRound = row.Paired ? string.Join(" / ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture))) : "separate runs";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Title} | {Rate(a) / divisor:N0} {row.Unit} | {Latency(a)} | {Errors(plinto)} | {Rate(b) / divisor:N0} {row.Unit} | {Latency(b)} | {Errors(peer)} | **{ratio:0.00}×** | {byRound} |");
        }

        AppendCpuTable(text, results);

        var signIns = Rounds(results, "signin.plinto");
        var signInLimits = Rounds(results, "signin.raw");
        var probe = Read(Path.Combine(results, "signin-probe.plinto.json"));
        var idleProbe = Read(Path.Combine(results, "probe.plinto.json"));
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Raw limits on this machine at the start of the run (.NET, {Number(raw, "cores")} threads / 1 thread): RS256 signatures {Number(raw, "rs256_per_s_all")}/s / {Number(raw, "rs256_per_s_1")}/s; " +
            $"ES256 signatures {Number(raw, "es256_per_s_all")}/s / {Number(raw, "es256_per_s_1")}/s; PBKDF2-HMAC-SHA512 with {Number(raw, "pbkdf2_iterations")} iterations " +
            $"(Plinto's password hash) {raw.GetProperty("pbkdf2_per_s_all").GetDouble():0.0}/s / {raw.GetProperty("pbkdf2_per_s_1").GetDouble():0.0}/s.");
        if (signIns.Count > 0)
        {
            if (signInLimits.Count != signIns.Count)
            {
                throw new InvalidOperationException($"{signIns.Count} sign-in windows but {signInLimits.Count} hash-rate measurements (signin.raw.*.json).");
            }

            // Each round's sign-in rate against the hash rate measured right after it: the machine's speed drifts.
            var shares = signIns.Zip(signInLimits, (s, l) => Rate(s) / l.GetProperty("pbkdf2_per_s_all").GetDouble()).ToList();
            var limits = string.Join(" / ", signInLimits.Select(l => l.GetProperty("pbkdf2_per_s_all").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)));
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Password sign-in reaches **{Median(shares):P0}** of the raw hash rate (median of the rounds: {string.Join(" / ", shares.Select(x => x.ToString("P0", CultureInfo.InvariantCulture)))}, " +
                $"each against the hash rate on every core measured right after that round's Plinto window: {limits}/s). While sign-ins saturate the CPU, a light probe " +
                $"(discovery + JWKS, 2 connections, one request per 20 ms each) gets answers in p50 / p99 {(probe is null ? "n/a" : Latency(probe.Value))} ms " +
                $"(idle: {(idleProbe is null ? "n/a" : Latency(idleProbe.Value))} ms).");
        }

        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Plinto's memory: peak RSS over the PostgreSQL scenarios {host.GetProperty("peak_rss_mb").GetString()} MB (with ES256: {host.GetProperty("peak_rss_es256_mb").GetString()} MB); " +
            $"on SQLite in the default configuration (background jobs on), medians of five starts: idle RSS 3 s after ready {host.GetProperty("idle_rss_mb").GetString()} MB ({host.GetProperty("idle_rsses").GetString()}), " +
            $"start to ready {host.GetProperty("start_seconds").GetString()} s ({host.GetProperty("starts").GetString()}) " +
            $"(first start, creating the database: {host.GetProperty("first_start_seconds").GetString()} s).");

        File.AppendAllText(markdown, text.ToString());
        Console.Write(text);
        return 0;
    }

    /// <summary>
    /// The CPU each server spent per request (per flow) in the same windows (bench/run.sh reads <c>/proc/&lt;pid&gt;/stat</c>
    /// before and after each window: <c>{scenario}.{server}.{round}.cpu.json</c>), and PostgreSQL's for Plinto's windows.
    /// Throughput ratios on a shared 2-core VM also measure how the load generator and the database share the cores;
    /// CPU per request is what one request costs wherever the rest runs, i.e. the requests per second one core serves.
    /// </summary>
    private static void AppendCpuTable(StringBuilder text, string results)
    {
        text.AppendLine().AppendLine("CPU per request in the same windows (user + system time of the server process from `/proc/<pid>/stat`, " +
            "and of the whole PostgreSQL cluster for Plinto's windows and for the peer's with its PostgreSQL store; medians of the rounds). " +
            "\"Per core\" compares the requests each server gets out of one second of CPU: above 1.00× Plinto does more per core than the peer.").AppendLine();
        text.AppendLine("| scenario | Plinto ms CPU | + PostgreSQL ms CPU | peer ms CPU | Plinto / peer per core | with PostgreSQL counted | cores busy (Plinto + PostgreSQL / peer) |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            var plinto = CpuRounds(results, $"{row.Scenario}.{row.PlintoRun}", row.Unit);
            var peer = CpuRounds(results, $"{row.Scenario}.{row.PeerRun}", row.Unit);
            if (plinto.Count == 0 || peer.Count == 0 || plinto.Count != peer.Count && row.Paired)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Title} | n/a | | | | | |");
                continue;
            }

            // Paired windows: the median of the per-round ratios; different starts: the ratio of the medians.
            double PerCore(Func<CpuRound, double> plintoMs, Func<CpuRound, double> peerMs) => row.Paired
                ? Median(plinto.Zip(peer, (p, q) => peerMs(q) / plintoMs(p)).ToList())
                : Median(peer.Select(peerMs).ToList()) / Median(plinto.Select(plintoMs).ToList());
            var alone = PerCore(p => p.ServerMs, q => q.ServerMs);
            var withDb = PerCore(p => p.ServerMs + p.DbMs, q => row.PeerStored ? q.ServerMs + q.DbMs : q.ServerMs);
            var unit = row.Unit == "flows/s" ? " per flow" : "";
            // The stored peer's database share is shown next to its own.
            var peerMs = string.Create(CultureInfo.InvariantCulture, $"{Median(peer.Select(q => q.ServerMs).ToList()):0.000}{unit}") + (row.PeerStored
                ? string.Create(CultureInfo.InvariantCulture, $" + {Median(peer.Select(q => q.DbMs).ToList()):0.000} PostgreSQL") : "");
            var peerCores = string.Create(CultureInfo.InvariantCulture, $"{Median(peer.Select(q => q.ServerCores).ToList()):0.00}") + (row.PeerStored
                ? string.Create(CultureInfo.InvariantCulture, $" + {Median(peer.Select(q => q.DbCores).ToList()):0.00}") : "");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Title} | {Median(plinto.Select(p => p.ServerMs).ToList()):0.000}{unit} | {Median(plinto.Select(p => p.DbMs).ToList()):0.000} | " +
                $"{peerMs} | **{alone:0.00}×** | {withDb:0.00}× | " +
                $"{Median(plinto.Select(p => p.ServerCores).ToList()):0.00} + {Median(plinto.Select(p => p.DbCores).ToList()):0.00} / {peerCores} |");
        }
    }

    /// <summary>One window's CPU milliseconds per request (per flow) of the server and of PostgreSQL, and the cores each kept busy.</summary>
    private readonly record struct CpuRound(double ServerMs, double DbMs, double ServerCores, double DbCores);

    /// <summary>Each round's <see cref="CpuRound"/>.</summary>
    private static List<CpuRound> CpuRounds(string results, string name, string unit)
    {
        var rounds = new List<CpuRound>();
        foreach (var (round, index) in Rounds(results, name).Select((r, i) => (r, i + 1)))
        {
            if (Read(Path.Combine(results, $"{name}.{index}.cpu.json")) is not { } cpu)
            {
                return [];
            }

            var units = round.GetProperty("requests").GetDouble() / (unit == "flows/s" ? 2 : 1);
            var seconds = round.GetProperty("seconds").GetDouble();
            var server = cpu.GetProperty("server_cpu_s").GetDouble();
            var db = cpu.GetProperty("db_cpu_s").GetDouble();
            if (units <= 0 || server <= 0)
            {
                throw new InvalidOperationException($"{name}.{index}: {units} requests, {server} s of CPU — the window measured nothing.");
            }

            rounds.Add(new CpuRound(server * 1000 / units, db * 1000 / units, server / seconds, db / seconds));
        }

        return rounds;
    }

    /// <summary>The measured windows of one run, in round order: <c>{name}.1.json</c>, <c>{name}.2.json</c>…</summary>
    private static List<JsonElement> Rounds(string results, string name)
    {
        var rounds = new List<JsonElement>();
        while (Read(Path.Combine(results, $"{name}.{rounds.Count + 1}.json")) is { } round)
        {
            rounds.Add(round);
        }

        return rounds;
    }

    /// <summary>The window with the median rate (the lower middle one of an even count), with its latencies.</summary>
    private static JsonElement MedianRound(List<JsonElement> rounds) => rounds.OrderBy(Rate).ElementAt((rounds.Count - 1) / 2);

    private static double Median(List<double> values) => values.Order().ElementAt((values.Count - 1) / 2);

    private static double Rate(JsonElement result) => result.GetProperty("rps").GetDouble();

    private static JsonElement? Read(string file) =>
        File.Exists(file) ? JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone() : null;

    private static string Number(JsonElement element, string name) => element.GetProperty(name).GetDouble().ToString("N0", CultureInfo.InvariantCulture);

    private static string Latency(JsonElement result) =>
        string.Create(CultureInfo.InvariantCulture, $"{result.GetProperty("p50_ms").GetDouble():0.0} / {result.GetProperty("p99_ms").GetDouble():0.0}");

    /// <summary>Errors over every round.</summary>
    private static string Errors(List<JsonElement> rounds) => rounds.Sum(r => r.GetProperty("errors").GetInt32()).ToString(CultureInfo.InvariantCulture);
}
