using System.Data.Common;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// The token rows of a sign-in are written together at its end (<c>Connect/DeferredTokenWrites.cs</c>). What that
/// could break is what two requests presenting the same code or refresh token at the same moment get: a test hook
/// holds both after they passed validation and before either writes, so the race happens every time.
/// </summary>
internal sealed class DeferredTokenWritesTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Of_two_requests_racing_with_one_code_one_is_refused_nothing_of_it_is_stored_and_the_other_is_revoked()
    {
        var (email, browser) = await SignedInUserAsync();
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser,
            OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid offline_access", pkce), email, UniqueUser.Password);
        var code = OidcClient.Query(callback)["code"];
        var subject = await SubjectAsync(email);

        await using var racing = HostHoldingTwoTokenRequests();
        var client = racing.CreateClient();
        var responses = await Task.WhenAll(
            OidcClient.RedeemCodeAsync(client, code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret),
            OidcClient.RedeemCodeAsync(client, code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret));

        Assert.That(responses.Select(r => r.Status), Is.EquivalentTo(new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest }));
        Assert.That(responses.Single(r => r.Status == HttpStatusCode.BadRequest).Get("error"), Is.EqualTo(Errors.InvalidGrant));
        // RFC 6749 §4.1.2: the code was used twice, so what it gave is revoked; the loser's tokens were never stored.
        Assert.That(await TokenRowsAsync(subject), Is.EquivalentTo(new[]
        {
            (TokenTypeIdentifiers.Private.AuthorizationCode, Statuses.Revoked),
            (TokenTypeIdentifiers.AccessToken, Statuses.Revoked),
            (TokenTypeIdentifiers.RefreshToken, Statuses.Revoked),
        }), "the code and the winner's two tokens, revoked; no row of the loser");
        var winner = responses.Single(r => r.Status == HttpStatusCode.OK);
        var refreshed = await OidcClient.RefreshAsync(Factory.CreateClient(), winner.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Error, Is.EqualTo(Errors.InvalidGrant), refreshed.Json.ToString());
    }

    [Test]
    public async Task Two_requests_racing_with_one_refresh_token_both_get_stored_tokens_as_within_the_reuse_leeway()
    {
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        var subject = await SubjectAsync(email);

        await using var racing = HostHoldingTwoTokenRequests();
        var client = racing.CreateClient();
        var responses = await Task.WhenAll(
            OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret),
            OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret));

        // OpenIddict lets the loser of this race through (RedeemTokenEntry ignores it for refresh tokens); so do we,
        // and its tokens are stored: each new refresh token works.
        Assert.That(responses.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK), string.Join('\n', responses.Select(r => r.Json)));
        var rows = await TokenRowsAsync(subject);
        Assert.That(rows.Count(r => r == (TokenTypeIdentifiers.RefreshToken, Statuses.Redeemed)), Is.EqualTo(1));
        Assert.That(rows.Count(r => r == (TokenTypeIdentifiers.RefreshToken, Statuses.Valid)), Is.EqualTo(2));
        Assert.That(rows.Count(r => r.Type == TokenTypeIdentifiers.AccessToken), Is.EqualTo(3));
        foreach (var response in responses)
        {
            var next = await OidcClient.RefreshAsync(Factory.CreateClient(), response.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
            Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK), next.Json.ToString());
        }
    }

    [TestCase("chain")]
    [TestCase("token")]
    public async Task A_refresh_grant_in_flight_when_its_token_is_revoked_is_refused_and_leaves_nothing_valid(string revoked)
    {
        // RFC 9700 §4.14.2 / RFC 7009 §2.2: a revocation that lands after the grant read its refresh token and before it
        // wrote the rotation — reuse detection revoking the chain, or the client revoking the token — must not be undone
        // by the grant's write, nor leave it new tokens.
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        var subject = await SubjectAsync(email);
        var (refreshTokenId, authorization) = await RefreshTokenRowAsync(subject);
        var validBefore = (await TokenRowsByIdAsync(subject)).Where(row => row.Value == Statuses.Valid).Select(row => row.Key).ToList();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var holding = HostHoldingTokenRequests(async () =>
        {
            held.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
        });
        var refreshing = OidcClient.RefreshAsync(holding.CreateClient(), tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(20));
        if (revoked == "chain")
        {
            await using var scope = Factory.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictTokenManager>().RevokeByAuthorizationIdAsync(authorization);
        }
        else
        {
            await OidcClient.PostFormAsync(Factory.CreateClient(), "/connect/revoke", ConfidentialClientId, ConfidentialSecret,
                new Dictionary<string, string> { ["token"] = tokens.Get("refresh_token"), ["token_type_hint"] = "refresh_token" });
        }

        release.SetResult();
        var response = await refreshing;

        Assert.That(response.Error, Is.EqualTo(Errors.InvalidGrant), response.Json.ToString());
        var rows = await TokenRowsByIdAsync(subject);
        Assert.That(rows[refreshTokenId], Is.EqualTo(Statuses.Revoked), "the revocation stands");
        Assert.That(rows.Where(row => row.Value == Statuses.Valid).Select(row => row.Key),
            revoked == "chain" ? Is.Empty : Is.EquivalentTo(validBefore.Where(id => id != refreshTokenId)),
            "nothing of the refused grant is valid (revoking one refresh token leaves the access token issued with it)");
        var replay = await OidcClient.RefreshAsync(Factory.CreateClient(), tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(replay.Error, Is.EqualTo(Errors.InvalidGrant), replay.Json.ToString());
    }

    [Test]
    public async Task A_sign_in_rejected_after_the_redemption_stores_nothing_and_the_code_still_works()
    {
        var (email, browser) = await SignedInUserAsync();
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser,
            OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid offline_access", pkce), email, UniqueUser.Password);
        var code = OidcClient.Query(callback)["code"];
        var subject = await SubjectAsync(email);

        await using (var rejecting = Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddOpenIddict().AddServer(options => options.AddEventHandler<ProcessSignInContext>(handler => handler
                .UseInlineHandler(context =>
                {
                    context.Reject(Errors.ServerError, "Rejected by the test after the redemption.");
                    return ValueTask.CompletedTask;
                })
                .SetOrder(OpenIddictServerHandlers.RedeemTokenEntry.Descriptor.Order + 500))))))
        {
            var rejected = await OidcClient.RedeemCodeAsync(rejecting.CreateClient(), code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
            Assert.That(rejected.Error, Is.EqualTo(Errors.ServerError), rejected.Json.ToString());
        }

        Assert.That(await TokenRowsAsync(subject), Is.EquivalentTo(new[] { (TokenTypeIdentifiers.Private.AuthorizationCode, Statuses.Valid) }),
            "nothing was issued, so nothing was stored and the code was not spent");
        var tokens = await OidcClient.RedeemCodeAsync(Factory.CreateClient(), code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());
    }

    [Test]
    public async Task A_refresh_grant_whose_write_fails_stores_nothing_and_the_refresh_token_still_works()
    {
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        var subject = await SubjectAsync(email);
        var before = await TokenRowsAsync(subject);

        // The last statement of the batch that redeems the refresh token and inserts the new ones fails, after the
        // others ran: on PostgreSQL that batch has no BEGIN … COMMIT of its own, so what undoes the redemption and
        // the inserts is the implicit transaction of the batch (Connect/DeferredTokenWrites.cs).
        await using (var failing = Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<PlintoDbContext>(options => options.AddInterceptors(new FailingTokenWrites())))))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = tokens.Get("refresh_token"),
                    ["client_id"] = ConfidentialClientId,
                    ["client_secret"] = ConfidentialSecret,
                }),
            };
            using var failed = await failing.CreateClient().SendAsync(request);
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        }

        Assert.That(await TokenRowsAsync(subject), Is.EquivalentTo(before), "the redemption and the new rows were rolled back together");
        var refreshed = await OidcClient.RefreshAsync(Factory.CreateClient(), tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
    }

    [Test]
    public async Task A_refresh_grant_reads_its_token_and_the_account_in_one_query()
    {
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        var recorder = new RecordingCommands();
        await using var recording = Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<PlintoDbContext>(options => options.AddInterceptors(recorder))));
        var client = recording.CreateClient();
        // The first grant of a new host also fills its client and scope caches; the second shows the steady state.
        var first = await OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.Json.ToString());
        recorder.Commands.Clear();

        var second = await OidcClient.RefreshAsync(client, first.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);

        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK), second.Json.ToString());
        var reads = recorder.Commands.Where(c => c.TrimStart().StartsWith("SELECT", StringComparison.Ordinal)).ToList();
        Assert.That(reads, Has.Count.EqualTo(1), string.Join("\n---\n", recorder.Commands));
        Assert.That(reads[0], Does.Contain("\"OpenIddictTokens\"").And.Contain("\"AspNetUsers\"").And.Contain("\"PlintoUserSessions\""));
    }

    [Test]
    public async Task The_refresh_token_of_an_account_deleted_since_is_refused()
    {
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PlintoUser>>();
            var deleted = await users.DeleteAsync((await users.FindByEmailAsync(email))!);
            Assert.That(deleted.Succeeded, Is.True, string.Join(", ", deleted.Errors.Select(e => e.Description)));
        }

        // The token's row is still there and valid; the account it names, read in the same query, is not.
        var refused = await OidcClient.RefreshAsync(Factory.CreateClient(), tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refused.Error, Is.EqualTo(Errors.InvalidGrant), refused.Json.ToString());
        Assert.That(refused.Get("error_description"), Is.EqualTo("The token is no longer valid."), "refused by the account check");
    }

    /// <summary>The text of every command the host's contexts send.</summary>
    private sealed class RecordingCommands : DbCommandInterceptor
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Commands { get; } = new();

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Commands.Enqueue(command.CommandText);
            return ValueTask.FromResult(result);
        }
    }

    /// <summary>
    /// Appends a statement that fails on every provider to the command that inserts the new tokens: on PostgreSQL the
    /// one batch that also redeems the refresh token; on SQLite (no batching) the first insert, after the redemption ran.
    /// </summary>
    private sealed class FailingTokenWrites : DbCommandInterceptor
    {
        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("INSERT INTO \"OpenIddictTokens\"", StringComparison.Ordinal))
            {
                command.CommandText += ";\nSELECT 1 FROM plinto_no_such_table;";
            }

            return ValueTask.FromResult(result);
        }
    }

    /// <summary>The fixture's host plus a sign-in handler that lets token requests on only when two have arrived.</summary>
    private WebApplicationFactory<Program> HostHoldingTwoTokenRequests()
    {
        var arrived = 0;
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return HostHoldingTokenRequests(async () =>
        {
            if (Interlocked.Increment(ref arrived) == 2)
            {
                both.TrySetResult();
            }

            await both.Task.WaitAsync(TimeSpan.FromSeconds(20));
        });
    }

    /// <summary>The fixture's host plus a sign-in handler that runs <paramref name="hold"/> in every token request.</summary>
    private WebApplicationFactory<Program> HostHoldingTokenRequests(Func<Task> hold) =>
        Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddOpenIddict().AddServer(options => options.AddEventHandler<ProcessSignInContext>(handler => handler
                .UseInlineHandler(async context =>
                {
                    if (context.EndpointType is OpenIddictServerEndpointType.Token)
                    {
                        await hold();
                    }
                })
                // After the redemption was recorded (deferred), before any token is generated.
                .SetOrder(OpenIddictServerHandlers.RedeemTokenEntry.Descriptor.Order + 500)))));

    private async Task<(string Id, string Authorization)> RefreshTokenRowAsync(string subject)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        var row = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Subject == subject && t.Type == TokenTypeIdentifiers.RefreshToken && t.Status == Statuses.Valid)
            .Select(t => new { t.Id, Authorization = t.Authorization!.Id }).SingleAsync();
        return (row.Id!, row.Authorization!);
    }

    private async Task<Dictionary<string, string?>> TokenRowsByIdAsync(string subject)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        return await db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.Subject == subject)
            .ToDictionaryAsync(t => t.Id!, t => t.Status);
    }

    private async Task<string> SubjectAsync(string email)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    private async Task<List<(string? Type, string? Status)>> TokenRowsAsync(string subject)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        var rows = await db.Set<OpenIddictEntityFrameworkCoreToken>().Where(t => t.Subject == subject)
            .Select(t => new { t.Type, t.Status }).ToListAsync();
        return rows.Select(r => (r.Type, r.Status)).ToList();
    }
}
