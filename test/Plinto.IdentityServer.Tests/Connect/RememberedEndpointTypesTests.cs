using Microsoft.Extensions.Logging.Abstractions;
using OpenIddict.Server;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Tests.Infrastructure;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// <c>Connect/RememberedEndpointTypes.cs</c> answers from memory what OpenIddict's <c>InferEndpointType</c> computed
/// once: every answer, and every log line, must be OpenIddict's, whatever the base URI, case, trailing slash, query or
/// host; and what it remembers must stay bounded, since request URIs come from the client.
/// </summary>
internal sealed class RememberedEndpointTypesTests
{
    private static readonly string[] Bases =
        ["https://id.test/", "https://id.test/tenant/", "https://ID.TEST/", "https://id.test:8443/", "http://id.test/"];

    private static readonly string[] Requests =
    [
        "https://id.test/connect/token", "https://id.test/Connect/Token", "https://id.test/connect/token/",
        "https://id.test/connect/token?grant_type=x", "https://id.test/connect/tokens", "https://id.test/connect/authorize?client_id=a&x=1",
        "https://id.test/.well-known/openid-configuration", "https://id.test/tenant/connect/token", "https://id.test:8443/connect/token",
        "http://id.test/connect/token", "https://other.test/connect/token", "https://elsewhere.test/connect/introspect",
        "https://elsewhere.test/connect/introspect/", "https://id.test/connect/introspect", "https://id.test/connect/../connect/userinfo",
        "https://id.test/account/login", "https://id.test/",
    ];

    [Test]
    public async Task Every_answer_and_log_line_is_OpenIddicts_the_first_time_and_from_memory()
    {
        var options = Endpoints();
        var remembered = new RememberedEndpointTypes();
        var matched = 0;
        foreach (var baseUri in Bases)
        {
            foreach (var request in Requests)
            {
                var (expected, expectedLog) = await RunAsync(new OpenIddictServerHandlers.InferEndpointType(), options, baseUri, request);
                for (var attempt = 1; attempt <= 2; attempt++)
                {
                    var (actual, log) = await RunAsync(remembered, options, baseUri, request);
                    Assert.That(actual, Is.EqualTo(expected), $"{request} under {baseUri}, attempt {attempt}");
                    Assert.That(log, Is.EqualTo(expectedLog), $"{request} under {baseUri}, attempt {attempt}");
                }

                matched += expected is OpenIddictServerEndpointType.Unknown ? 0 : 1;
            }
        }

        // The matrix is only worth something if it has both outcomes, and several kinds of match.
        Assert.That(matched, Is.GreaterThan(10).And.LessThan(Bases.Length * Requests.Length));
        var token = await RunAsync(remembered, options, Bases[0], Requests[0]);
        Assert.That(token.Type, Is.EqualTo(OpenIddictServerEndpointType.Token));
        Assert.That(token.Log, Is.EqualTo(new[] { "The request URI matched a server endpoint: Token." }), "logged from memory too");
        Assert.That((await RunAsync(remembered, options, Bases[0], "https://elsewhere.test/connect/introspect")).Type, Is.EqualTo(OpenIddictServerEndpointType.Introspection));
    }

    [Test]
    public async Task A_reloaded_options_instance_is_asked_again()
    {
        var remembered = new RememberedEndpointTypes();
        var before = Endpoints();
        Assert.That((await RunAsync(remembered, before, Bases[0], "https://id.test/connect/moved")).Type, Is.EqualTo(OpenIddictServerEndpointType.Unknown));

        var after = Endpoints();
        after.TokenEndpointUris.Add(new Uri("connect/moved", UriKind.Relative));

        Assert.That((await RunAsync(remembered, after, Bases[0], "https://id.test/connect/moved")).Type, Is.EqualTo(OpenIddictServerEndpointType.Token));
    }

    [Test]
    public async Task What_is_remembered_stays_bounded_however_many_uris_clients_send()
    {
        var options = Endpoints();
        var remembered = new RememberedEndpointTypes();
        for (var index = 0; index < RememberedEndpointTypes.Capacity * 3; index++)
        {
            await RunAsync(remembered, options, Bases[0], $"https://id.test/probe/{index}");
            Assert.That(remembered.Count, Is.LessThanOrEqualTo(RememberedEndpointTypes.Capacity));
        }

        Assert.That((await RunAsync(remembered, options, Bases[0], Requests[0])).Type, Is.EqualTo(OpenIddictServerEndpointType.Token));
    }

    [Test]
    public async Task A_crafted_long_host_is_answered_like_OpenIddict_but_not_kept()
    {
        var options = Endpoints();
        var remembered = new RememberedEndpointTypes();
        var host = string.Join('.', Enumerable.Repeat(new string('a', 60), 4)) + ".test";
        var baseUri = $"https://{host}/";
        var request = $"https://{host}/connect/token";

        var expected = await RunAsync(new OpenIddictServerHandlers.InferEndpointType(), options, baseUri, request);
        var actual = await RunAsync(remembered, options, baseUri, request);

        Assert.That(actual.Type, Is.EqualTo(expected.Type).And.EqualTo(OpenIddictServerEndpointType.Token));
        Assert.That(remembered.Count, Is.Zero, "longer than RememberedEndpointTypes.LongestRemembered");
        await RunAsync(remembered, options, Bases[0], Requests[0]);
        Assert.That(remembered.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_request_without_absolute_uris_is_left_to_OpenIddicts_handler()
    {
        async Task<string> OutcomeAsync(IOpenIddictServerHandler<ProcessRequestContext> handler)
        {
            var context = new ProcessRequestContext(new OpenIddictServerTransaction { Options = Endpoints(), Logger = NullLogger.Instance })
            {
                BaseUri = new Uri("/", UriKind.Relative),
                RequestUri = new Uri("/connect/token", UriKind.Relative),
            };
            try
            {
                await handler.HandleAsync(context);
                return context.EndpointType.ToString();
            }
            catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
            {
                return exception.GetType().Name + ": " + exception.Message;
            }
        }

        var remembered = new RememberedEndpointTypes();
        Assert.That(await OutcomeAsync(remembered), Is.EqualTo(await OutcomeAsync(new OpenIddictServerHandlers.InferEndpointType())));
        Assert.That(remembered.Count, Is.Zero, "nothing remembered for it");
    }

    /// <summary>Plinto's endpoints (relative to the base URI), plus one absolute one on another host.</summary>
    private static OpenIddictServerOptions Endpoints()
    {
        var options = new OpenIddictServerOptions();
        options.AuthorizationEndpointUris.Add(new Uri("connect/authorize", UriKind.Relative));
        options.ConfigurationEndpointUris.Add(new Uri(".well-known/openid-configuration", UriKind.Relative));
        options.JsonWebKeySetEndpointUris.Add(new Uri(".well-known/jwks", UriKind.Relative));
        options.IntrospectionEndpointUris.Add(new Uri("connect/introspect", UriKind.Relative));
        options.IntrospectionEndpointUris.Add(new Uri("https://elsewhere.test/connect/introspect", UriKind.Absolute));
        options.EndSessionEndpointUris.Add(new Uri("connect/logout", UriKind.Relative));
        options.RevocationEndpointUris.Add(new Uri("connect/revoke", UriKind.Relative));
        options.TokenEndpointUris.Add(new Uri("connect/token", UriKind.Relative));
        options.UserInfoEndpointUris.Add(new Uri("connect/userinfo", UriKind.Relative));
        return options;
    }

    private static async Task<(OpenIddictServerEndpointType Type, IReadOnlyList<string> Log)> RunAsync(
        IOpenIddictServerHandler<ProcessRequestContext> handler, OpenIddictServerOptions options, string baseUri, string requestUri)
    {
        using var log = new DispatcherLog();
        var context = new ProcessRequestContext(new OpenIddictServerTransaction
        {
            Options = options,
            Logger = log.CreateLogger(DispatcherLog.Category),
        })
        {
            BaseUri = new Uri(baseUri, UriKind.Absolute),
            RequestUri = new Uri(requestUri, UriKind.Absolute),
        };

        await handler.HandleAsync(context);
        return (context.EndpointType, log.Lines);
    }
}
