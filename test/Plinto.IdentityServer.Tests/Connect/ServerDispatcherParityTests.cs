using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenIddict.Server;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// The real host's requests run through exactly the handlers OpenIddict's own dispatcher would run, in the same order
/// and with the same stops: the same protocol exchanges on two nodes of one database, one with each dispatcher, write
/// the same dispatcher debug trail.
/// </summary>
internal sealed class ServerDispatcherParityTests
{
    [Test]
    public async Task Every_exchange_runs_the_same_handlers_as_with_OpenIddicts_dispatcher()
    {
        // Without the client_credentials fast path, so that grant runs through the dispatchers too.
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Tokens:ClientCredentialsFastPath"] = "false" });
        var ours = new DispatcherLog();
        var theirs = new DispatcherLog();
        await using var plinto = Node(factory, ours, openIddictDispatcher: false);
        await using var openIddict = Node(factory, theirs, openIddictDispatcher: true);

        using (var scope = plinto.Services.CreateScope())
        {
            Assert.That(scope.ServiceProvider.GetRequiredService<IOpenIddictServerDispatcher>(), Is.TypeOf<ServerDispatcher>());
        }

        using (var scope = openIddict.Services.CreateScope())
        {
            Assert.That(scope.ServiceProvider.GetRequiredService<IOpenIddictServerDispatcher>(), Is.TypeOf<OpenIddictServerDispatcher>());
        }

        await ExchangesAsync(factory, plinto);
        await ExchangesAsync(factory, openIddict);

        Assert.That(ours.Trail, Has.Count.GreaterThan(250), "the exchanges ran through the dispatcher");
        Assert.That(ours.Trail, Has.Some.Contains("was marked as rejected by"));
        Assert.That(ours.Trail, Has.Some.Contains("was marked as handled by"));
        Assert.That(ours.Trail, Is.EqualTo(theirs.Trail));
    }

    private static WebApplicationFactory<Program> Node(PlintoFactory factory, DispatcherLog log, bool openIddictDispatcher) =>
        factory.WithWebHostBuilder(builder =>
        {
            builder.ConfigureLogging(logging => logging.AddProvider(log).AddFilter<DispatcherLog>(DispatcherLog.Category, LogLevel.Debug));
            if (openIddictDispatcher)
            {
                builder.ConfigureTestServices(services =>
                    services.Replace(ServiceDescriptor.Scoped<IOpenIddictServerDispatcher, OpenIddictServerDispatcher>()));
            }
        });

    /// <summary>Discovery, keys, client_credentials (granted and refused), introspection, a code flow with sign-in, userinfo, refresh, revocation, a refused authorization request.</summary>
    private static async Task ExchangesAsync(PlintoFactory factory, WebApplicationFactory<Program> node)
    {
        var client = node.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });
        Assert.That((await client.GetAsync("/.well-known/openid-configuration")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.GetAsync("/.well-known/jwks")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var machine = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        Assert.That(machine.Status, Is.EqualTo(HttpStatusCode.OK), machine.Json.ToString());
        var refused = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret + "x",
            new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        Assert.That(refused.Get("error"), Is.EqualTo("invalid_client"));
        var introspection = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = machine.Get("access_token") });
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.True);

        var email = UniqueUser.Email();
        await factory.CreateUserAsync(email, UniqueUser.Password);
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(new Browser(client), email);
        using (var userInfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo"))
        {
            userInfo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Get("access_token"));
            Assert.That((await client.SendAsync(userInfo)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var refreshed = await OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
        // RFC 7009 §2.2: 200 with an empty body (PostFormAsync asserts the status).
        await OidcClient.PostFormAsync(client, "/connect/revoke", ConfidentialClientId, ConfidentialSecret,
            new Dictionary<string, string> { ["token"] = refreshed.Get("refresh_token") });

        var unknownRedirect = await client.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, "https://attacker.test/cb", "openid", OidcClient.NewPkce()));
        Assert.That(unknownRedirect.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
