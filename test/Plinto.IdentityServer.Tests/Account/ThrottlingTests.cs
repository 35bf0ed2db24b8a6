using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>Throttling per IP and per account, before any password hash runs.</summary>
internal sealed class ThrottlingTests
{
    [Test]
    public async Task Posts_to_the_account_pages_are_limited_per_ip()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:RateLimits:AccountPostsPerMinutePerIp"] = "3" });
        var browser = new Browser(factory.CreateClient());
        var (_, page) = await browser.OpenAsync("/account/forgot-password");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = UniqueUser.Email() });
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses.Take(3), Is.All.EqualTo(HttpStatusCode.Redirect));
        Assert.That(statuses[3], Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That((await browser.GetAsync("/account/signin")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "reading pages is not limited");
    }

    [TestCase("/account/forgot-password")]
    [TestCase("/account/signup")]
    public async Task Reset_and_sign_up_requests_are_limited_per_address(string path)
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:RateLimits:SignInAttemptsPerMinutePerAccount"] = "2" });
        var browser = new Browser(factory.CreateClient());
        var (_, page) = await browser.OpenAsync(path);
        var target = UniqueUser.Email("flooded");
        var values = new Dictionary<string, string> { ["Input.Email"] = target, ["Input.Password"] = UniqueUser.Password };

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await browser.SubmitAsync(page, values)).StatusCode);
        }

        Assert.That(statuses.Take(2), Is.All.Not.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(statuses[2], Is.EqualTo(HttpStatusCode.TooManyRequests));
        values["Input.Email"] = UniqueUser.Email("other");
        Assert.That((await browser.SubmitAsync(page, values)).StatusCode, Is.Not.EqualTo(HttpStatusCode.TooManyRequests), "another address has its own budget");
    }

    [Test]
    public async Task Password_attempts_are_limited_per_account_with_the_same_answer_for_unknown_addresses()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:RateLimits:SignInAttemptsPerMinutePerAccount"] = "2" });
        var known = UniqueUser.Email();
        await factory.CreateUserAsync(known, UniqueUser.Password);

        foreach (var email in new[] { known, UniqueUser.Email("unknown") })
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 3; i++)
            {
                var browser = new Browser(factory.CreateClient());
                var (_, page) = await browser.OpenAsync("/account/signin");
                var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = "wrong guess " + i });
                statuses.Add(response.StatusCode);
            }

            Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }), email);
        }
    }

    [Test]
    public async Task Every_spelling_of_an_address_spends_one_budget()
    {
        // U+212A KELVIN SIGN normalizes (NFC) to "K": Identity finds the same account, so it is the same budget.
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:RateLimits:SignInAttemptsPerMinutePerAccount"] = "2" });
        var local = "kelvin-" + Guid.NewGuid().ToString("N");
        await factory.CreateUserAsync(local + "@example.test", UniqueUser.Password);

        var statuses = new List<HttpStatusCode>();
        foreach (var spelling in new[] { local + "@example.test", local.ToUpperInvariant() + "@EXAMPLE.test", "\u212A" + local[1..] + "@example.test" })
        {
            var browser = new Browser(factory.CreateClient());
            var (_, page) = await browser.OpenAsync("/account/signin");
            statuses.Add((await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = spelling, ["Input.Password"] = "wrong guess" })).StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
    }

    [Test]
    public async Task One_ipv6_host_cannot_spread_its_posts_over_its_addresses()
    {
        await using var host = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:RateLimits:AccountPostsPerMinutePerIp"] = "3" });
        var address = 0;
        // Each request from the next address of one /64, as a host using privacy addresses (RFC 8981) could.
        await using var factory = host.WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new FromAddress(() => IPAddress.Parse($"2001:db8:1:1::{Interlocked.Increment(ref address):x}")))));
        var browser = new Browser(factory.CreateClient());
        var (_, page) = await browser.OpenAsync("/account/forgot-password");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = UniqueUser.Email() })).StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests }));
    }

    private sealed class FromAddress(Func<IPAddress> next) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> inner) => app =>
        {
            app.Use((context, then) =>
            {
                context.Connection.RemoteIpAddress = next();
                return then(context);
            });
            inner(app);
        };
    }

    [Test]
    public async Task The_budget_key_is_normalized_as_the_account_lookup_is()
    {
        // The limiter normalizes with Identity's default normalizer; the host must use that one for account lookups.
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        await using var scope = factory.Services.CreateAsyncScope();
        Assert.That(scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.ILookupNormalizer>(),
            Is.TypeOf<Microsoft.AspNetCore.Identity.UpperInvariantLookupNormalizer>());
    }

    [TestCase("2001:db8:1:1::1", "2001:db8:1:1:ffff:1:2:3", true)]
    [TestCase("2001:db8:1:1::1", "2001:db8:1:2::1", false)]
    [TestCase("::ffff:192.0.2.7", "192.0.2.7", true)]
    [TestCase("192.0.2.7", "192.0.2.8", false)]
    public void Addresses_of_one_host_share_a_per_ip_budget(string one, string other, bool shared)
    {
        var (a, b) = (Plinto.IdentityServer.Account.AccountThrottling.ClientNetwork(IPAddress.Parse(one)),
            Plinto.IdentityServer.Account.AccountThrottling.ClientNetwork(IPAddress.Parse(other)));

        Assert.That(a == b, Is.EqualTo(shared), $"{a} / {b}");
    }
}
