using System.Net;
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
}
