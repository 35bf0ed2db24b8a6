using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// The client_credentials fast path (<c>Connect/ClientCredentialsGrant</c>) answers exactly as OpenIddict's pipeline
/// does. Two nodes of one database, one with the fast path and one without, get the same requests: plain grants the
/// fast path must answer itself (no OpenIddict event dispatched), and every variation and attack it must hand on
/// (OpenIddict dispatches). Status, headers, error bodies, the token's header and claims, expires_in and the metric
/// must be the same on both nodes; with each access token algorithm.
/// </summary>
[TestFixture("RS256")]
[TestFixture("ES256")]
internal sealed partial class ClientCredentialsGrantTests(string algorithm)
{
    private const string ReportsScope = "reports";
    private const string ReportsAudience = "https://reports.test";
    private const string Secret = "cc-test-secret-0123456789-abcdefghijklmno";
    private const string EncodedSecret = "pct%secret+0123456789-abcdefghijklmnopq";
    private const string NonAsciiSecret = "caf\u00e9-secret-0123456789-abcdefghijklmnop";
    private const string ColonSecret = "colon:secret-0123456789-abcdefghijklmnopq";
    private const string PlusClientId = "svc+billing&<co>";

    private readonly TestTime time = new();
    private readonly DispatcherLog fastLog = new();
    private readonly DispatcherLog genericLog = new();
    private readonly List<string> metrics = [];
    private readonly List<string> requests = [];
    private PlintoFactory factory = null!;
    private WebApplicationFactory<Program> fast = null!;
    private WebApplicationFactory<Program> generic = null!;
    private MeterListener listener = null!;

    [OneTimeSetUp]
    public async Task StartNodesAsync()
    {
        // Away from the real clock: a path reading another clock than OpenIddict's would show in iat.
        time.Advance(TimeSpan.FromDays(3));
        factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Scopes:1:Name"] = ReportsScope,
            ["Plinto:Scopes:1:Resources:0"] = ReportsAudience,
            ["Plinto:Keys:AccessTokenAlgorithm"] = algorithm,
        }, time);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            string[] all = [Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials, Permissions.Prefixes.Scope + ApiScope, Permissions.Prefixes.Scope + ReportsScope];
            await CreateClientAsync(applications, "cc-two-scopes", Secret, [.. all, Permissions.Endpoints.Introspection]);
            await CreateClientAsync(applications, "cc-no-scope-permission", Secret, all[..2]);
            await CreateClientAsync(applications, "cc-no-endpoint-permission", Secret, all[1..]);
            await CreateClientAsync(applications, "cc-no-grant-permission", Secret, [all[0], .. all[2..]]);
            await CreateClientAsync(applications, "cc-encoded-secret", EncodedSecret, all);
            await CreateClientAsync(applications, "cc-non-ascii-secret", NonAsciiSecret, all);
            await CreateClientAsync(applications, "cc-own-lifetime", Secret, all, lifetime: "00:05:00");
            await CreateClientAsync(applications, PlusClientId, Secret, all);
            await CreateClientAsync(applications, "cc-colon-secret", ColonSecret, all);
            // A client that also signs users in (code + refresh): permitted openid and offline_access for those grants.
            await CreateClientAsync(applications, "cc-also-for-users", Secret,
                [.. all, Permissions.GrantTypes.RefreshToken, Permissions.Prefixes.Scope + Scopes.OpenId, Permissions.Prefixes.Scope + Scopes.OfflineAccess]);
        }

        fast = Node(fastLog, fastPath: true);
        generic = Node(genericLog, fastPath: false);

        listener = new MeterListener
        {
            InstrumentPublished = (instrument, meters) =>
            {
                if (instrument.Name is "plinto.token.responses" or "http.server.request.duration")
                {
                    meters.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var text = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            lock (metrics)
            {
                metrics.Add(text);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            var route = tags.ToArray().FirstOrDefault(t => t.Key == "http.route").Value as string ?? "(no route)";
            lock (requests)
            {
                requests.Add(route);
            }
        });
        listener.Start();
    }

    [OneTimeTearDown]
    public async Task StopNodesAsync()
    {
        listener.Dispose();
        await fast.DisposeAsync();
        await generic.DisposeAsync();
        await factory.DisposeAsync();
    }

    public static IEnumerable<TestCaseData> Requests()
    {
        var grant = new[] { ("grant_type", "client_credentials") };
        var api = new[] { ("grant_type", "client_credentials"), ("scope", ApiScope) };
        // Answered on the fast path.
        yield return Case("client_secret_basic, one API scope", Post(Basic(MachineClientId, MachineSecret), api), fastPath: true);
        yield return Case("client_secret_post, one API scope", Post(null, [.. api, ("client_id", MachineClientId), ("client_secret", MachineSecret)]), fastPath: true);
        yield return Case("no scope: no audience, no scope claim", Post(Basic(MachineClientId, MachineSecret), grant), fastPath: true);
        yield return Case("the Basic client id repeated in the body", Post(Basic(MachineClientId, MachineSecret), [.. api, ("client_id", MachineClientId)]), fastPath: true);
        yield return Case("two API scopes: two audiences", Post(Basic("cc-two-scopes", Secret), [.. grant, ("scope", "api reports")]), fastPath: true);
        yield return Case("a charset in the content type", Post(Basic(MachineClientId, MachineSecret), api) with { ContentType = "application/x-www-form-urlencoded; charset=utf-8" }, fastPath: true);
        yield return Case("a client id JSON escapes differently by default (+ & < >), client_secret_post", Post(null, [.. api, ("client_id", PlusClientId), ("client_secret", Secret)]), fastPath: true);
        yield return Case("a colon in the secret (Basic splits at the first)", Post(Basic("cc-colon-secret", ColonSecret), api), fastPath: true);
        yield return Case("no scope asked by a client without scope permissions", Post(Basic("cc-no-scope-permission", Secret), grant), fastPath: true);

        // Handed on to OpenIddict: refusals, attacks and rarer forms.
        yield return Case("a wrong secret", Post(Basic(MachineClientId, MachineSecret + "x"), api), fastPath: false);
        yield return Case("an unknown client", Post(Basic("nobody", Secret), api), fastPath: false);
        yield return Case("another client id in the body than in Basic", Post(Basic(MachineClientId, MachineSecret), [.. api, ("client_id", "cc-two-scopes")]), fastPath: false);
        yield return Case("a secret both in Basic and in the body", Post(Basic(MachineClientId, MachineSecret), [.. api, ("client_secret", MachineSecret)]), fastPath: false);
        yield return Case("a scope the client may not ask for", Post(Basic("cc-no-scope-permission", Secret), api), fastPath: false);
        yield return Case("a client without the token endpoint permission", Post(Basic("cc-no-endpoint-permission", Secret), api), fastPath: false);
        yield return Case("a client without the grant type permission", Post(Basic("cc-no-grant-permission", Secret), api), fastPath: false);
        yield return Case("a public client", Post(Basic(PublicClientId, Secret), grant), fastPath: false);
        yield return Case("a code-flow client", Post(Basic(ConfidentialClientId, ConfidentialSecret), api), fastPath: false);
        yield return Case("an unknown scope", Post(Basic(MachineClientId, MachineSecret), [.. grant, ("scope", "nope")]), fastPath: false);
        yield return Case("openid with client_credentials", Post(Basic(MachineClientId, MachineSecret), [.. grant, ("scope", "api openid")]), fastPath: false);
        yield return Case("offline_access with client_credentials", Post(Basic(MachineClientId, MachineSecret), [.. grant, ("scope", "api offline_access")]), fastPath: false);
        yield return Case("a repeated scope", Post(Basic(MachineClientId, MachineSecret), [.. grant, ("scope", "api api")]), fastPath: false);
        yield return Case("an empty scope", Post(Basic(MachineClientId, MachineSecret), [.. grant, ("scope", "")]), fastPath: false);
        yield return Case("grant_type twice", Post(Basic(MachineClientId, MachineSecret), [.. api, ("grant_type", "client_credentials")]), fastPath: false);
        yield return Case("a resource indicator", Post(Basic(MachineClientId, MachineSecret), [.. api, ("resource", ApiAudience)]), fastPath: false);
        yield return Case("an audience parameter", Post(Basic(MachineClientId, MachineSecret), [.. api, ("audience", ApiAudience)]), fastPath: false);
        yield return Case("a client assertion", Post(null, [.. api, ("client_id", MachineClientId), ("client_assertion_type", ClientAssertionTypes.JwtBearer), ("client_assertion", "a.b.c")]), fastPath: false);
        yield return Case("the Basic scheme in lower case", Post("basic " + Basic(MachineClientId, MachineSecret)[6..], api), fastPath: false);
        yield return Case("Basic credentials that are not base64", Post("Basic not*base64", api), fastPath: false);
        yield return Case("a form-encoded secret (RFC 6749 §2.3.1)", Post("Basic " + Base64($"cc-encoded-secret:{Uri.EscapeDataString(EncodedSecret)}"), api), fastPath: false);
        yield return Case("a secret sent as raw UTF-8", Post("Basic " + Base64($"cc-non-ascii-secret:{NonAsciiSecret}"), api), fastPath: false);
        yield return Case("a client with its own token lifetime", Post(Basic("cc-own-lifetime", Secret), api), fastPath: false);
        yield return Case("an admin API scope", Post(Basic(AutomationClientId, AutomationSecret), [.. grant, ("scope", "plinto:admin")]), fastPath: false);
        yield return Case("multipart form data", Post(Basic(MachineClientId, MachineSecret), api) with { ContentType = "multipart/form-data" }, fastPath: false);
        yield return Case("plain HTTP", Post(Basic(MachineClientId, MachineSecret), api) with { Url = "http://localhost/connect/token" }, fastPath: false);
        yield return Case("parameter names in upper case", Post(Basic(MachineClientId, MachineSecret), [("GRANT_TYPE", "client_credentials"), ("scope", ApiScope)]), fastPath: false);
        yield return Case("scope and Scope", Post(Basic(MachineClientId, MachineSecret), [.. api, ("Scope", ApiScope)]), fastPath: false);
        yield return Case("an empty secret in Basic", Post("Basic " + Base64($"{MachineClientId}:"), api), fastPath: false);
        yield return Case("a content type that only starts like a form", Post(Basic(MachineClientId, MachineSecret), api) with { ContentType = "application/x-www-form-urlencodedx" }, fastPath: false);
        yield return Case("the endpoint path in another case", Post(Basic(MachineClientId, MachineSecret), api) with { Url = "/Connect/Token" }, fastPath: false);
        yield return Case("the endpoint path with a trailing slash", Post(Basic(MachineClientId, MachineSecret), api) with { Url = "/connect/token/" }, fastPath: false);
        yield return Case("a Host header that makes no URI", Post(Basic(MachineClientId, MachineSecret), api) with { Host = "localhost:99999" }, fastPath: false);
        yield return Case("GET", Post(Basic(MachineClientId, MachineSecret), api) with { Method = "GET" }, fastPath: false);
    }

    [TestCaseSource(nameof(Requests))]
    public async Task Both_paths_answer_alike(TokenCall call, bool fastPath)
    {
        var (fastAnswer, fastEvents, fastMetric) = await SendAsync(fast, fastLog, call);
        var (genericAnswer, genericEvents, genericMetric) = await SendAsync(generic, genericLog, call);

        Assert.That(genericEvents, Is.GreaterThan(0), "OpenIddict's pipeline answered on the node without the fast path");
        Assert.That(fastEvents, fastPath ? Is.Zero : Is.GreaterThan(0), fastPath ? "answered on the fast path" : "handed on to OpenIddict");
        Assert.That(fastAnswer, Is.EqualTo(genericAnswer));
        Assert.That(fastMetric, Is.EqualTo(genericMetric), "the same token response metric");
    }

    [Test]
    public async Task A_fast_path_token_introspects_like_a_pipeline_token()
    {
        var client = ClientOf(fast);
        var request = Post(Basic("cc-two-scopes", Secret), [("grant_type", "client_credentials"), ("scope", "api reports")]);
        var dispatched = fastLog.Trail.Count;
        var fastToken = (await SendRawAsync(fast, request)).GetProperty("access_token").GetString()!;
        Assert.That(fastLog.Trail, Has.Count.EqualTo(dispatched), "issued on the fast path: no OpenIddict event");
        var genericToken = (await SendRawAsync(generic, request)).GetProperty("access_token").GetString()!;

        var fastIntrospection = await OidcClient.PostFormAsync(client, "/connect/introspect", "cc-two-scopes", Secret, new() { ["token"] = fastToken });
        var genericIntrospection = await OidcClient.PostFormAsync(client, "/connect/introspect", "cc-two-scopes", Secret, new() { ["token"] = genericToken });
        Assert.That(fastIntrospection.GetProperty("active").GetBoolean(), Is.True);
        Assert.That(Stable(fastIntrospection), Is.EqualTo(Stable(genericIntrospection)));

        // A resource server with the JWKS alone accepts it for either audience.
        var validated = await Jwks.ValidateAsync(client, fastToken, ReportsAudience, type: "at+jwt", algorithms: [algorithm]);
        Assert.That(validated.IsValid, Is.True, validated.Exception?.Message);
    }

    [Test]
    public async Task Client_credentials_never_grant_openid_or_offline_access_so_no_id_token_and_no_refresh_token()
    {
        foreach (var node in new[] { fast, generic })
        {
            var response = await SendRawAsync(node, Post(Basic("cc-also-for-users", Secret),
                [("grant_type", "client_credentials"), ("scope", "openid offline_access api")]));

            Assert.That(response.TryGetProperty("access_token", out _), Is.True, response.ToString());
            Assert.That(response.TryGetProperty("id_token", out _), Is.False, "no end-user, no ID token");
            Assert.That(response.TryGetProperty("refresh_token", out _), Is.False, "RFC 6749 §4.4.3");
            Assert.That(response.GetProperty("scope").GetString(), Is.EqualTo(ApiScope), "the granted scope, as it differs from the request");
        }
    }

    [TestCase("openid")]
    [TestCase("openid offline_access")]
    public async Task Client_credentials_asking_only_for_user_scopes_is_invalid_scope(string scope)
    {
        foreach (var node in new[] { fast, generic })
        {
            using var response = await ClientOf(node).SendAsync(
                Post(Basic("cc-also-for-users", Secret), [("grant_type", "client_credentials"), ("scope", scope)]).ToRequest());
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body.ToString());
            Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("invalid_scope"));
            Assert.That(body.TryGetProperty("access_token", out _), Is.False);
        }
    }

    [Test]
    public async Task A_fast_path_request_is_counted_under_the_token_endpoints_route()
    {
        int before;
        lock (requests)
        {
            before = requests.Count;
        }

        await SendRawAsync(fast, Post(Basic(MachineClientId, MachineSecret), [("grant_type", "client_credentials"), ("scope", ApiScope)]));

        // ASP.NET Core records the request's duration as the request ends, just after the client has its response.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string[] recorded;
        do
        {
            await Task.Delay(20);
            lock (requests)
            {
                recorded = [.. requests.Skip(before)];
            }
        }
        while (recorded.Length == 0 && DateTime.UtcNow < deadline);

        Assert.That(recorded, Is.EqualTo(new[] { "/connect/token" }), "http.server.request.duration's http.route, as for the endpoint");
    }

    [TestCase("Plinto:Tokens:StoreClientCredentialsAccessTokens")]
    [TestCase("Plinto:Tokens:EncryptAccessTokens")]
    public async Task With_token_rows_or_encryption_every_grant_goes_to_OpenIddict(string setting)
    {
        var log = new DispatcherLog();
        await using var node = Node(log, fastPath: true, (setting, "true"));
        var answer = await SendRawAsync(node, Post(Basic(MachineClientId, MachineSecret), [("grant_type", "client_credentials"), ("scope", ApiScope)]));

        Assert.That(log.Trail, Has.Some.Contains("ProcessSignInContext"), "issued by OpenIddict");
        var parts = answer.GetProperty("access_token").GetString()!.Split('.');
        Assert.That(parts, Has.Length.EqualTo(setting.EndsWith("EncryptAccessTokens", StringComparison.Ordinal) ? 5 : 3), "a JWE when encrypted, a JWS otherwise");
    }

    [Test]
    public async Task A_wrong_secret_is_checked_and_logged_once_on_either_path()
    {
        // The fast path checks the secret before it hands the request on; OpenIddict must not check (hash, log) it again.
        var call = Post(Basic(MachineClientId, MachineSecret + "x"), [("grant_type", "client_credentials"), ("scope", ApiScope)]);
        foreach (var fastPath in new[] { true, false })
        {
            var log = new RecordingLog();
            await using var node = log.On(Node(new DispatcherLog(), fastPath));
            using var response = await ClientOf(node).SendAsync(call.ToRequest());

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            // OpenIddict's ID6161: "client authentication failed" for this client.
            Assert.That(log.Since(0).Count(entry => entry.Id.Id == 6161), Is.EqualTo(1), fastPath ? "with the fast path" : "without it");
        }
    }

    [Test]
    public async Task A_client_certificate_the_connection_gives_only_when_asked_goes_to_OpenIddict()
    {
        // Kestrel with ClientCertificateMode.DelayCertificate: the certificate arrives when someone asks for it, as
        // OpenIddict does on every HTTPS token request — and it refuses a certificate it has no TLS client
        // authentication policy for. The fast path must not issue a token that OpenIddict would refuse.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=client", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var fastLogHere = new DispatcherLog();
        var genericLogHere = new DispatcherLog();
        await using var fastNode = Node(fastLogHere, fastPath: true).WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new DelayedCertificate(certificate))));
        await using var genericNode = Node(genericLogHere, fastPath: false).WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new DelayedCertificate(certificate))));
        var call = Post(Basic(MachineClientId, MachineSecret), [("grant_type", "client_credentials"), ("scope", ApiScope)]);

        var (fastAnswer, fastEvents, _) = await SendAsync(fastNode, fastLogHere, call);
        var (genericAnswer, _, _) = await SendAsync(genericNode, genericLogHere, call);

        Assert.That(fastEvents, Is.Positive, "handed on to OpenIddict");
        Assert.That(fastAnswer, Is.EqualTo(genericAnswer));
        Assert.That(fastAnswer, Does.StartWith("400 ").And.Contain("invalid_request"));
    }

    [Test]
    public async Task With_a_lifetime_under_a_second_neither_path_sends_expires_in()
    {
        // OpenIddict's dates are whole seconds: such a token expires as it is issued, and OpenIddict omits expires_in.
        var lifetime = ("Plinto:Tokens:AccessTokenLifetime", "00:00:00.5");
        var fastLogHere = new DispatcherLog();
        var genericLogHere = new DispatcherLog();
        await using var fastNode = Node(fastLogHere, fastPath: true, lifetime);
        await using var genericNode = Node(genericLogHere, fastPath: false, lifetime);
        var call = Post(Basic(MachineClientId, MachineSecret), [("grant_type", "client_credentials"), ("scope", ApiScope)]);

        var (fastAnswer, fastEvents, _) = await SendAsync(fastNode, fastLogHere, call);
        var (genericAnswer, _, _) = await SendAsync(genericNode, genericLogHere, call);

        Assert.That(fastEvents, Is.Zero, "answered on the fast path");
        Assert.That(fastAnswer, Is.EqualTo(genericAnswer));
        Assert.That(fastAnswer, Does.StartWith("200 ").And.Not.Contain("expires_in"));
    }

    /// <summary>A TLS connection whose client certificate is there only once asked for (Kestrel's DelayCertificate mode).</summary>
    private sealed class DelayedCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, then) =>
            {
                context.Features.Set<ITlsConnectionFeature>(new Tls(certificate));
                return then(context);
            });
            next(app);
        };

        private sealed class Tls(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) : ITlsConnectionFeature
        {
            public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; }

            public Task<System.Security.Cryptography.X509Certificates.X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken)
            {
                ClientCertificate = certificate;
                return Task.FromResult<System.Security.Cryptography.X509Certificates.X509Certificate2?>(certificate);
            }
        }
    }

    /// <summary>
    /// The fast path repeats what Plinto's own OpenIddict handlers do for a plain grant. A new handler on one of the
    /// token endpoint's events (an IP allow-list, a claim, an audit line) would be skipped by it: whoever adds one
    /// decides here whether <c>ClientCredentialsGrant</c> must do the same, or hand such requests on.
    /// </summary>
    [Test]
    public void The_token_endpoints_own_handlers_are_the_ones_the_fast_path_accounts_for()
    {
        var options = fast.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OpenIddict.Server.OpenIddictServerOptions>>().Value;
        Type[] tokenEvents =
        [
            typeof(OpenIddictServerEvents.ProcessRequestContext), typeof(OpenIddictServerEvents.ExtractTokenRequestContext),
            typeof(OpenIddictServerEvents.ValidateTokenRequestContext), typeof(OpenIddictServerEvents.HandleTokenRequestContext),
            typeof(OpenIddictServerEvents.ApplyTokenResponseContext), typeof(OpenIddictServerEvents.ProcessAuthenticationContext),
            typeof(OpenIddictServerEvents.ProcessSignInContext), typeof(OpenIddictServerEvents.GenerateTokenContext),
        ];
        var ours = options.Handlers
            .Where(handler => handler.Type == OpenIddictServerHandlerType.Custom && tokenEvents.Contains(handler.ContextType))
            .Select(handler => $"{handler.ContextType.Name}: {handler.ServiceDescriptor.ServiceType.FullName}")
            .Order(StringComparer.Ordinal);

        // Accounted for: the metric (recorded the same way), the token key (the same credentials), token rows and
        // deferred writes (none for these grants; storage turned on turns the fast path off), the endpoint type (the
        // fast path matches its one path itself).
        Assert.That(ours, Is.EqualTo(new[]
        {
            "ApplyTokenResponseContext: Plinto.IdentityServer.Hosting.TokenResponseMetricsHandler",
            "GenerateTokenContext: Plinto.IdentityServer.Connect.TokenCredentials",
            "GenerateTokenContext: Plinto.IdentityServer.Connect.TokenStorage",
            "ProcessRequestContext: Plinto.IdentityServer.Connect.RememberedEndpointTypes",
            "ProcessSignInContext: Plinto.IdentityServer.Connect.DeferredTokenWrites+Begin",
            "ProcessSignInContext: Plinto.IdentityServer.Connect.DeferredTokenWrites+Flush",
        }));
    }

    private WebApplicationFactory<Program> Node(DispatcherLog log, bool fastPath, params (string Key, string Value)[] settings) =>
        factory.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Plinto:Tokens:ClientCredentialsFastPath", fastPath ? "true" : "false");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(log).AddFilter<DispatcherLog>(DispatcherLog.Category, LogLevel.Debug));
        });

    private static HttpClient ClientOf(WebApplicationFactory<Program> node) =>
        node.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });

    /// <summary>The answer as text with the per-token values (jti, iat, exp) checked and replaced, the number of OpenIddict events dispatched, and the metric recorded.</summary>
    private async Task<(string Answer, int Events, string Metric)> SendAsync(WebApplicationFactory<Program> node, DispatcherLog log, TokenCall call)
    {
        var client = ClientOf(node);
        var before = log.Trail.Count;
        int recorded;
        lock (metrics)
        {
            recorded = metrics.Count;
        }

        using var response = await client.SendAsync(call.ToRequest());
        var body = await response.Content.ReadAsStringAsync();
        var events = log.Trail.Count - before;
        string metric;
        lock (metrics)
        {
            metric = string.Join(";", metrics.Skip(recorded));
        }

        var answer = new StringBuilder();
        answer.AppendLine($"{(int)response.StatusCode} {response.Content.Headers.ContentType}");
        foreach (var name in new[] { "Cache-Control", "Pragma", "WWW-Authenticate" })
        {
            answer.AppendLine($"{name}: {(response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "-")}");
        }

        answer.AppendLine(body.Length > 0 && body.TrimStart().StartsWith('{') ? Describe(body) : $"(not JSON, {body.Length} characters)");
        return (answer.ToString(), events, metric);
    }

    private async Task<JsonElement> SendRawAsync(WebApplicationFactory<Program> node, TokenCall call)
    {
        using var response = await ClientOf(node).SendAsync(call.ToRequest());
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// The body as sent, byte for byte, with each token replaced by its decoded header and payload — as sent too, in
    /// their order and escaping — in which only the values that differ per token are checked and replaced: jti (a GUID),
    /// iat (the host's clock), exp (iat + the lifetime), an ID token's at_hash, and expires_in (the lifetime left,
    /// rounded as OpenIddict does: the lifetime or a second less).
    /// </summary>
    private string Describe(string body)
    {
        var lifetimes = new List<long>();
        var described = TokenValue().Replace(body, match =>
        {
            var parts = match.Groups["token"].Value.Split('.');
            Assert.That(parts, Has.Length.EqualTo(3), "a JWS");
            var payload = Decode(parts[1]);
            var claims = JsonNode.Parse(payload)!.AsObject();
            if (match.Groups["name"].Value == "access_token")
            {
                Assert.That(Guid.TryParse(claims["jti"]?.GetValue<string>(), out _), Is.True, "an access token's jti is a GUID");
            }

            var issuedAt = claims["iat"]!.GetValue<long>();
            Assert.That(DateTimeOffset.FromUnixTimeSeconds(issuedAt), Is.EqualTo(time.GetUtcNow()).Within(TimeSpan.FromSeconds(10)), "iat from the host's clock");
            var lifetime = claims["exp"]!.GetValue<long>() - issuedAt;
            lifetimes.Add(lifetime);
            payload = PerTokenClaim().Replace(payload, claim => $"\"{claim.Groups["claim"].Value}\":<{claim.Groups["claim"].Value}>");
            return $"\"{match.Groups["name"].Value}\": header {Decode(parts[0])} payload {payload} lifetime {lifetime}";
        });

        return ExpiresIn().Replace(described, match =>
        {
            var seconds = long.Parse(match.Groups["seconds"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(lifetimes, Has.Some.Matches<long>(lifetime => seconds == lifetime || seconds == lifetime - 1), "expires_in: the token's lifetime left");
            return "\"expires_in\": <expires_in>";
        });
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"(?<name>access_token|id_token)\":\\s*\"(?<token>[^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex TokenValue();

    [System.Text.RegularExpressions.GeneratedRegex("\"(?<claim>jti|iat|exp|at_hash)\":(\"[^\"]*\"|\\d+)")]
    private static partial System.Text.RegularExpressions.Regex PerTokenClaim();

    [System.Text.RegularExpressions.GeneratedRegex("\"expires_in\":\\s*(?<seconds>\\d+)")]
    private static partial System.Text.RegularExpressions.Regex ExpiresIn();

    private static string Stable(JsonElement introspection) => string.Join(Environment.NewLine, introspection.EnumerateObject()
        .Where(p => p.Name is not ("jti" or "iat" or "exp" or "nbf"))
        .OrderBy(p => p.Name, StringComparer.Ordinal)
        .Select(p => $"{p.Name} {p.Value.GetRawText()}"));

    private static string Decode(string part) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(part.Replace('-', '+').Replace('_', '/').PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=')));

    private static async Task CreateClientAsync(IOpenIddictApplicationManager applications, string clientId, string secret, string[] permissions, string? lifetime = null)
    {
        var descriptor = new OpenIddictApplicationDescriptor { ClientId = clientId, ClientSecret = secret, ClientType = ClientTypes.Confidential };
        descriptor.Permissions.UnionWith(permissions);
        if (lifetime is not null)
        {
            descriptor.Settings[Settings.TokenLifetimes.AccessToken] = lifetime;
        }

        await applications.CreateAsync(descriptor);
    }

    private static TestCaseData Case(string name, TokenCall call, bool fastPath) => new TestCaseData(call, fastPath).SetArgDisplayNames(name);

    private static TokenCall Post(string? authorization, (string, string)[] form) => new("POST", "/connect/token", authorization, "application/x-www-form-urlencoded", form);

    private static string Basic(string clientId, string secret) => "Basic " + Base64($"{clientId}:{secret}");

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>One token request as sent on the wire: parameters may repeat.</summary>
    public sealed record TokenCall(string Method, string Url, string? Authorization, string ContentType, (string Name, string Value)[] Form)
    {
        public string? Host { get; init; }

        public HttpRequestMessage ToRequest()
        {
            var encoded = string.Join("&", Form.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
            var request = Method == "GET"
                ? new HttpRequestMessage(HttpMethod.Get, Url + "?" + encoded)
                : new HttpRequestMessage(new HttpMethod(Method), Url) { Content = new StringContent(encoded, Encoding.UTF8) };
            if (request.Content is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
            }

            if (Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            if (Host is not null)
            {
                request.Headers.TryAddWithoutValidation("Host", Host);
            }

            return request;
        }
    }
}
