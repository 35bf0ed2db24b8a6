using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plinto.Bench;

/// <summary>
/// Prepares what the wrk scenarios replay against one server: a signed-in browser session (cookies), a sign-in
/// form ready to post, refresh tokens (a set for the warm-up and one per measured round, since every use rotates
/// them) and an access token to introspect. Written as a Lua table that bench/lua/common.lua loads.
/// Both servers are driven through their real HTTP flows, the way a browser and a client would.
/// </summary>
internal static partial class Setup
{
    private const string Verifier = "bench-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

    public static async Task<int> RunAsync(string server, Uri baseUrl, string file)
    {
        var settings = new Settings(
            Env("BENCH_USER_EMAIL"), Env("BENCH_USER_PASSWORD"), Env("BENCH_MACHINE_SECRET"), Env("BENCH_WEB_SECRET"),
            Env("BENCH_REDIRECT_URI"), int.Parse(Env("BENCH_REFRESH_TOKENS"), System.Globalization.CultureInfo.InvariantCulture));
        // Every interaction of the peer leaves cookies behind; the default limit of 20 per domain would evict the session.
        var cookies = new CookieContainer(capacity: 10_000, perDomainCapacity: 1_000, maxCookieSize: CookieContainer.DefaultCookieLengthLimit);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = baseUrl };
        IServer target = server switch
        {
            "plinto" => new PlintoServer(http, cookies, settings),
            "peer" => new PeerServer(http, cookies, settings),
            _ => throw new ArgumentException($"unknown server '{server}'", nameof(server)),
        };

        var data = new Dictionary<string, object>
        {
            ["token_path"] = target.TokenPath,
            ["introspect_path"] = target.IntrospectionPath,
            ["discovery_path"] = "/.well-known/openid-configuration",
            ["jwks_path"] = target.JwksPath,
            ["machine_basic"] = Basic("machine", settings.MachineSecret),
            ["web_basic"] = Basic("web", settings.WebSecret),
            ["redirect_uri"] = Uri.EscapeDataString(settings.RedirectUri),
            ["code_verifier"] = Verifier,
        };

        var signIn = await target.PrepareSignInAsync(AuthorizePath(target, "openid api", prompt: "login"));
        data["signin_path"] = signIn.Path;
        data["signin_body"] = signIn.Body;
        data["signin_cookie"] = signIn.Cookie;
        data["signin_status"] = signIn.SuccessStatus;

        await target.SignInAsync(AuthorizePath(target, "openid api", prompt: null));

        // One set for the warm-up and one per measured round (bench/run.sh BENCH_ROUNDS).
        var rounds = int.Parse(Env("BENCH_ROUNDS"), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var set in Enumerable.Range(1, rounds).Select(r => $"refresh_tokens_{r}").Prepend("refresh_tokens_warm"))
        {
            var tokens = new List<string>();
            for (var i = 0; i < settings.RefreshTokens; i++)
            {
                var code = await target.ConsentedCodeAsync(AuthorizePath(target, "openid offline_access api", target.OfflinePrompt));
                var response = await TokenAsync(http, target.TokenPath, Basic("web", settings.WebSecret),
                    $"grant_type=authorization_code&code={code}&redirect_uri={Uri.EscapeDataString(settings.RedirectUri)}&code_verifier={Verifier}");
                tokens.Add(response.GetProperty("refresh_token").GetString()!);
            }

            data[set] = tokens;
        }

        var accessToken = await TokenAsync(http, target.TokenPath, Basic("machine", settings.MachineSecret),
            "grant_type=client_credentials&scope=api" + target.IntrospectableResource);
        data["access_token"] = accessToken.GetProperty("access_token").GetString()!;

        // Last: a sign-in above may have renewed the session cookie. The replayed authorization request must succeed
        // without any interaction, with this cookie alone.
        data["authorize_path"] = AuthorizePath(target, "openid api", prompt: null);
        data["session_cookie"] = cookies.GetCookieHeader(new Uri(baseUrl, target.AuthorizePath));
        using (var replay = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = baseUrl })
        {
            replay.DefaultRequestHeaders.Add("Cookie", (string)data["session_cookie"]);
            await CodeAsync(replay, (string)data["authorize_path"], settings);
        }

        await File.WriteAllTextAsync(file, ToLua(data));
        Console.WriteLine($"{server}: session, sign-in form, {settings.RefreshTokens}x{rounds + 1} refresh tokens and an access token written to {file}");
        return 0;
    }

    internal static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set.");

    private static string AuthorizePath(IServer server, string scope, string? prompt)
    {
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
        var path = $"{server.AuthorizePath}?client_id=web&response_type=code&redirect_uri={Uri.EscapeDataString(server.Settings.RedirectUri)}" +
            $"&scope={Uri.EscapeDataString(scope)}&code_challenge={challenge}&code_challenge_method=S256&state=bench-state&nonce=bench-nonce";
        return prompt is null ? path : path + "&prompt=" + prompt;
    }

    /// <summary>Follows redirects on the server until the client's redirect URI, and returns the code.</summary>
    internal static async Task<string> CodeAsync(HttpClient http, string path, Settings settings)
    {
        var location = path;
        for (var hop = 0; hop < 5; hop++)
        {
            using var response = await http.GetAsync(location);
            var next = response.Headers.Location ?? throw new InvalidOperationException(
                $"GET {Shorten(location)} answered {(int)response.StatusCode} without a redirect: {Shorten(await response.Content.ReadAsStringAsync())}");
            var absolute = next.IsAbsoluteUri ? next : new Uri(http.BaseAddress!, next);
            if (absolute.GetLeftPart(UriPartial.Path) == settings.RedirectUri)
            {
                return CodeParameter().Match(absolute.Query) is { Success: true } match
                    ? match.Groups[1].Value
                    : throw new InvalidOperationException($"The redirect carries no code: {absolute.Query}");
            }

            location = absolute.PathAndQuery;
        }

        throw new InvalidOperationException("Too many redirects before the client's redirect URI.");
    }

    internal static async Task<JsonElement> TokenAsync(HttpClient http, string path, string authorization, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {Shorten(text)}");
    }

    internal static string Basic(string id, string secret) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}"));

    internal static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string ToLua(Dictionary<string, object> data)
    {
        var lua = new StringBuilder("return {\n");
        foreach (var (key, value) in data)
        {
            lua.Append("  ").Append(key).Append(" = ").Append(value switch
            {
                int number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                List<string> list => "{ " + string.Join(", ", list.Select(Quote)) + " }",
                _ => Quote(value.ToString()!),
            }).Append(",\n");
        }

        return lua.Append("}\n").ToString();

        // Lua long strings take anything except their own closing bracket.
        static string Quote(string value) => value.Contains("]==]", StringComparison.Ordinal)
            ? throw new InvalidOperationException("unexpected value")
            : "[==[" + value + "]==]";
    }

    [GeneratedRegex("[?&]code=([^&]+)")]
    private static partial Regex CodeParameter();

    internal sealed record Settings(string Email, string Password, string MachineSecret, string WebSecret, string RedirectUri, int RefreshTokens);

    internal sealed record SignInForm(string Path, string Body, string Cookie, int SuccessStatus);
}
