using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Plinto.IdentityServer.Account.Passkeys;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// A passkey ceremony's state is accepted once across the nodes (two hosts on one database, each with its own memory):
/// a captured state cookie and assertion replayed at another node is refused (WebAuthn §13.4.3).
/// </summary>
internal sealed class PasskeyCeremonyStateTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task A_ceremony_state_is_taken_once_whichever_node_takes_it()
    {
        await using var other = Factory.WithWebHostBuilder(_ => { });

        var first = await SaveAsync(Factory, "get:*", "state-1");
        Assert.That(await TakeAsync(Factory, first, "get:*"), Is.EqualTo("state-1"));
        Assert.That(await TakeAsync(Factory, first, "get:*"), Is.Null, "taken twice at one node");
        Assert.That(await TakeAsync(other, first, "get:*"), Is.Null, "replayed at another node");

        var second = await SaveAsync(Factory, "get:*", "state-2");
        Assert.That(await TakeAsync(other, second, "create:someone"), Is.Null, "a state is only for its own ceremony");
        Assert.That(await TakeAsync(other, second, "get:*"), Is.EqualTo("state-2"), "a node takes a state another node saved");
        Assert.That(await TakeAsync(Factory, second, "get:*"), Is.Null, "and the node that saved it does not take it again");

        // Both nodes at the same moment: exactly one gets the state.
        for (var i = 0; i < 5; i++)
        {
            var raced = await SaveAsync(other, "get:*", "state-" + i);
            var answers = await Task.WhenAll(TakeAsync(Factory, raced, "get:*"), TakeAsync(other, raced, "get:*"));
            Assert.That(answers.Count(a => a is not null), Is.EqualTo(1), $"round {i}: {string.Join(", ", answers)}");
        }
    }

    private static async Task<string> SaveAsync(WebApplicationFactory<Program> node, string purpose, string state)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var context = Request(scope.ServiceProvider);
        scope.ServiceProvider.GetRequiredService<PasskeyCeremonyState>().Save(purpose, state);
        var cookie = SetCookieHeaderValue.ParseList(context.Response.Headers.SetCookie.Select(v => v ?? string.Empty).ToList()).Single();
        Assert.That(cookie.Name.Value, Does.EndWith(PasskeyCeremonyState.CookieBaseName));
        return $"{cookie.Name}={cookie.Value}";
    }

    private static async Task<string?> TakeAsync(WebApplicationFactory<Program> node, string cookie, string purpose)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var context = Request(scope.ServiceProvider);
        context.Request.Headers.Cookie = cookie;
        return await scope.ServiceProvider.GetRequiredService<PasskeyCeremonyState>().TakeAsync(purpose);
    }

    private static DefaultHttpContext Request(IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        services.GetRequiredService<IHttpContextAccessor>().HttpContext = context;
        return context;
    }
}
