using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Organizations;

/// <summary>Joining organizations: invitations (single use, expiry, revocation, account creation or linking) and verified domains.</summary>
internal sealed class OrganizationMembershipTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private const string InvalidLink = "This invitation link is not valid any more. Ask for a new invitation.";

    private readonly TestTime time = new();
    private readonly DnsServer dns = new();
    private HttpClient api = null!;
    private string platform = null!;

    protected override TestTime? Time => time;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Organizations:DnsServers:0"] = dns.EndPoint,
    };

    [SetUp]
    public async Task GetPlatformTokenAsync()
    {
        api = Factory.CreateClient();
        platform = await AdminApiClient.AutomationTokenAsync(api);
    }

    [TearDown]
    public void DisposeClient() => api.Dispose();

    [OneTimeTearDown]
    public async Task StopDnsAsync() => await dns.DisposeAsync();

    [Test]
    public async Task An_invitation_link_creates_the_account_with_the_role_and_works_only_once()
    {
        var (org, _) = await OrganizationAsync();
        var email = UniqueUser.Email("invitee");
        var created = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", platform, new { email, role = "admin" });
        // The link goes to the mailbox only: holding it proves the address, so the inviter never sees it.
        Assert.That(created.ToString(), Does.Not.Contain("token"));
        var link = await InvitationLinkAsync(email);

        var browser = NewBrowser();
        var (_, page) = await browser.OpenAsync(link.PathAndQuery);
        Assert.That(page.QuerySelector("input[readonly]")?.GetAttribute("value"), Is.EqualTo(email));
        var joined = await browser.FollowAsync(await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.Name"] = "Ada Invited",
            ["Input.Password"] = UniqueUser.Password,
        }));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/organizations"), await joined.Content.ReadAsStringAsync());

        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        var member = members.EnumerateArray().Single(m => m.GetProperty("email").GetString() == email);
        Assert.That(member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "admin" }));

        // The new account works with its password, and the link does not work a second time.
        var (_, message2) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(message2, Is.Empty);
        var (_, replay) = await NewBrowser().OpenAsync(link.PathAndQuery);
        Assert.That(replay.QuerySelector("[role=alert]")?.TextContent, Is.EqualTo(InvalidLink));
        var invitations = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/invitations", platform);
        Assert.That(invitations.EnumerateArray().Single().GetProperty("status").GetString(), Is.EqualTo("accepted"));
    }

    [Test]
    public async Task An_existing_account_accepts_after_signing_in_and_another_account_cannot_use_the_link()
    {
        var (org, _) = await OrganizationAsync();
        var email = UniqueUser.Email("existing");
        var invited = await Factory.CreateUserAsync(email, UniqueUser.Password);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", platform, new { email });
        var path = (await InvitationLinkAsync(email)).PathAndQuery;

        var (_, anonymous) = await NewBrowser().OpenAsync(path);
        Assert.That(anonymous.QuerySelector("a.button")?.TextContent, Is.EqualTo("Sign in to accept"), "no account form for an existing address");

        var (_, someoneElse) = await SignedInUserAsync();
        var (_, wrongPage) = await someoneElse.OpenAsync(path);
        var wrong = await Browser.ReadPageAsync(await someoneElse.SubmitAsync(wrongPage, new Dictionary<string, string>()));
        Assert.That(wrong.QuerySelector(".error-summary")?.TextContent, Does.Contain("sent to another email address"));

        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);
        var (_, page) = await browser.OpenAsync(path);
        await browser.FollowAsync(await browser.SubmitAsync(page, new Dictionary<string, string>()));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/organizations"));
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(members.EnumerateArray().Select(m => m.GetProperty("userId").GetString()), Does.Contain(invited.Id));
    }

    [Test]
    public async Task Expired_revoked_and_made_up_links_all_get_the_same_answer()
    {
        var (org, _) = await OrganizationAsync();
        var (revokedEmail, expiringEmail) = (UniqueUser.Email(), UniqueUser.Email());
        var revoked = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", platform, new { email = revokedEmail });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", platform, new { email = expiringEmail });
        var revokedId = revoked.GetProperty("id").GetString();
        var (revokedLink, expiringLink) = (await InvitationLinkAsync(revokedEmail), await InvitationLinkAsync(expiringEmail));
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/invitations/{revokedId}", platform, expected: HttpStatusCode.NoContent);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/invitations/{revokedId}", platform, expected: HttpStatusCode.NotFound);
        time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        foreach (var path in new[]
        {
            revokedLink.PathAndQuery,
            expiringLink.PathAndQuery,
            "/account/invitation?token=" + Guid.NewGuid().ToString("N"),
            "/account/invitation",
        })
        {
            var (response, page) = await NewBrowser().OpenAsync(path);
            Assert.Multiple(() =>
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
                Assert.That(page.QuerySelector("[role=alert]")?.TextContent, Is.EqualTo(InvalidLink), path);
                Assert.That(page.QuerySelector("form"), Is.Null, path);
            });
        }

        var statuses = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/invitations", await AdminApiClient.AutomationTokenAsync(api)))
            .EnumerateArray().Select(i => i.GetProperty("status").GetString());
        Assert.That(statuses, Is.EquivalentTo(new[] { "revoked", "expired" }));
    }

    [Test]
    public async Task A_domain_is_verified_by_its_TXT_record_and_confirmed_addresses_on_it_join_automatically()
    {
        var (org, ownerEmail) = await OrganizationAsync();
        var slug = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}", platform)).GetProperty("slug").GetString()!;
        var token = (await WebClientTokensAsync(NewBrowser(), $"openid organization:{slug} plinto:org:admin", ownerEmail)).Get("access_token");
        var domainName = $"d{Guid.NewGuid():N}.example";
        var domain = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", token, new { name = domainName.ToUpperInvariant() });
        Assert.That(domain.GetProperty("name").GetString(), Is.EqualTo(domainName), "stored lower-case");
        var id = domain.GetProperty("id").GetString();

        var missing = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{id}/verify", token, expected: HttpStatusCode.BadRequest);
        Assert.That(missing.GetProperty("detail").GetString(), Does.Contain($"_plinto-verification.{domainName}"));
        dns.SetTxt($"_plinto-verification.{domainName}", "v=spf1 -all", "plinto-verification=wrong");
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{id}/verify", token, expected: HttpStatusCode.BadRequest);
        dns.SetTxt($"_plinto-verification.{domainName}", "v=spf1 -all", domain.GetProperty("txtRecordValue").GetString()!);
        var verified = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{id}/verify", token);
        Assert.That((verified.GetProperty("verified").GetBoolean(), verified.GetProperty("verifiedBy").GetString()), Is.EqualTo((true, "dns")));

        // Only platform administrators mark a domain verified without DNS; and a domain is verified for one organization.
        var other = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", token, new { name = $"x{domainName}" });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{other.GetProperty("id").GetString()}/mark-verified", token,
            expected: HttpStatusCode.Forbidden);
        var (rival, _) = await OrganizationAsync();
        var claimed = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{rival}/domains", platform, new { name = domainName });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{rival}/domains/{claimed.GetProperty("id").GetString()}/mark-verified", platform,
            expected: HttpStatusCode.Conflict);

        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{org}", token, new { autoJoinVerifiedDomains = true, defaultRole = "member" });
        var joiner = $"new-{Guid.NewGuid():N}@{domainName}";
        var outsider = UniqueUser.Email("outsider");
        foreach (var email in new[] { joiner, outsider })
        {
            var browser = NewBrowser();
            var (_, signUp) = await browser.OpenAsync("/account/signup");
            await browser.SubmitAsync(signUp, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
            var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
            Assert.That(members.EnumerateArray().Select(m => m.GetProperty("email").GetString()), Does.Not.Contain(email), "not before the address is confirmed");
            var confirmation = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Confirm your email");
            await browser.OpenAsync(new Uri(MailDrop.FirstLink(confirmation, "/account/confirm-email")).PathAndQuery);
        }

        var after = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform)).EnumerateArray().ToList();
        Assert.That(after.Single(m => m.GetProperty("email").GetString() == joiner).GetProperty("roles").EnumerateArray().Select(r => r.GetString()),
            Is.EqualTo(new[] { "member" }));
        Assert.That(after.Select(m => m.GetProperty("email").GetString()), Does.Not.Contain(outsider));
    }

    private async Task<Uri> InvitationLinkAsync(string email) =>
        new(MailDrop.FirstLink(await MailDrop.WaitForAsync(Factory.MailFolder, email, "You are invited to join"), "/account/invitation"));

    /// <summary>A new organization with a new owner; returns its id and the owner's address.</summary>
    private async Task<(string Id, string OwnerEmail)> OrganizationAsync()
    {
        var email = UniqueUser.Email("owner");
        var owner = await Factory.CreateUserAsync(email, UniqueUser.Password);
        return (await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), owner.Id), email);
    }
}
