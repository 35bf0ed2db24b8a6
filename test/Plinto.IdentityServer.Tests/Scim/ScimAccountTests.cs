using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Scim;

/// <summary>
/// What provisioning may do to an account: link existing ones only on verified domains, manage only accounts it
/// created and nobody else shares, and never remove owners.
/// </summary>
internal sealed class ScimAccountTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    private HttpClient api = null!;
    private string platform = null!;

    [SetUp]
    public async Task GetPlatformTokenAsync()
    {
        api = Factory.CreateClient();
        platform = await AdminApiClient.AutomationTokenAsync(api);
    }

    [TearDown]
    public void DisposeClient() => api.Dispose();

    [Test]
    public async Task An_existing_account_is_linked_but_its_password_and_lock_stay_its_owners()
    {
        var (org, scim, domain) = await OrganizationAsync();
        var email = $"existing-{Guid.NewGuid():N}@{domain}";
        var account = await Factory.CreateUserAsync(email, UniqueUser.Password);

        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email, password: "Another-Long-Passphrase-2"), HttpStatusCode.BadRequest, "mutability");
        var linked = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email), HttpStatusCode.Created);
        Assert.That(linked["id"]!.GetValue<string>(), Is.EqualTo(account.Id), "the same account, now in the organization");
        await scim.ExpectErrorAsync(HttpMethod.Patch, $"/Users/{account.Id}",
            $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "path": "password", "value": "Another-Long-Passphrase-2" } ] }""",
            HttpStatusCode.BadRequest, "mutability");

        // Deactivated in this organization: no tokens for it, but the person's own account keeps working.
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{account.Id}", $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""",
            HttpStatusCode.OK);
        var (_, message) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(message, Is.Empty, "the account is not locked by another party");
        var slug = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}", platform)).GetProperty("slug").GetString();
        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);
        var refused = OidcClient.Query(await OidcClient.AuthorizeAsync(browser,
            OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, $"openid organization:{slug}", OidcClient.NewPkce())));
        Assert.That(refused["error"], Is.EqualTo("access_denied"));
    }

    [Test]
    public async Task An_account_another_organization_also_has_is_no_longer_managed_by_the_one_that_created_it()
    {
        var (_, scim, domain) = await OrganizationAsync();
        var email = $"shared-{Guid.NewGuid():N}@{domain}";
        var created = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email, password: UniqueUser.Password), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var setPassword = $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "path": "password", "value": "Brand-New-Passphrase-3" } ] }""";
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{id}", setPassword, HttpStatusCode.OK);

        // The person joins another organization: the first one now manages only its membership.
        var other = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("other"), ownerUserId: null);
        await AdminApiClient.AddMemberAsync(api, platform, other, id, "member");
        await scim.ExpectErrorAsync(HttpMethod.Patch, $"/Users/{id}", setPassword, HttpStatusCode.BadRequest, "mutability");
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{id}", $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""",
            HttpStatusCode.OK);
        var (_, message) = await SignInAsync(NewBrowser(), email, "Brand-New-Passphrase-3");
        Assert.That(message, Is.Empty, "not locked: another organization has the person too");
        await scim.ExpectAsync(HttpMethod.Delete, $"/Users/{id}", null, HttpStatusCode.NoContent);
        var (_, after) = await SignInAsync(NewBrowser(), email, "Brand-New-Passphrase-3");
        Assert.That(after, Is.Empty, "not deleted either");
    }

    [Test]
    public async Task Owners_are_never_removed_or_deactivated_by_provisioning()
    {
        var (org, scim, domain) = await OrganizationAsync();
        var email = $"owner-{Guid.NewGuid():N}@{domain}";
        var owner = await Factory.CreateUserAsync(email, UniqueUser.Password);
        await AdminApiClient.AddMemberAsync(api, platform, org, owner.Id, "owner");
        await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email), HttpStatusCode.Created);

        await scim.ExpectErrorAsync(HttpMethod.Delete, $"/Users/{owner.Id}", null, HttpStatusCode.BadRequest, "mutability");
        await scim.ExpectErrorAsync(HttpMethod.Patch, $"/Users/{owner.Id}",
            $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""", HttpStatusCode.BadRequest, "mutability");
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(members.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == owner.Id).GetProperty("roles").EnumerateArray()
            .Select(r => r.GetString()), Does.Contain("owner"));
    }

    [Test]
    public async Task A_password_reset_does_not_lift_a_deactivation()
    {
        var (_, scim, domain) = await OrganizationAsync();
        var email = $"reset-{Guid.NewGuid():N}@{domain}";
        var created = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email, password: UniqueUser.Password), HttpStatusCode.Created);
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{created["id"]}",
            $$"""{ "schemas": ["{{PatchOp}}"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""", HttpStatusCode.OK);

        var browser = NewBrowser();
        var (_, forgot) = await browser.OpenAsync("/account/forgot-password");
        await browser.SubmitAsync(forgot, new Dictionary<string, string> { ["Input.Email"] = email });
        var mail = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Reset your password");
        var (_, reset) = await browser.OpenAsync(new Uri(MailDrop.FirstLink(mail, "/account/reset-password")).PathAndQuery);
        await browser.SubmitAsync(reset, new Dictionary<string, string> { ["Input.Password"] = "A-Fresh-Passphrase-After-Reset", ["Input.ConfirmPassword"] = "A-Fresh-Passphrase-After-Reset" });
        var (_, message) = await SignInAsync(NewBrowser(), email, "A-Fresh-Passphrase-After-Reset");
        Assert.That(message, Is.Not.Empty, "still deactivated");
    }

    [Test]
    public async Task Deleting_an_account_provisioning_created_ends_its_sessions_at_once()
    {
        var (_, scim, domain) = await OrganizationAsync();
        var email = $"deleted-{Guid.NewGuid():N}@{domain}";
        var created = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email, password: UniqueUser.Password), HttpStatusCode.Created);
        var browser = NewBrowser();
        var (_, message) = await SignInAsync(browser, email, UniqueUser.Password);
        Assert.That(message, Is.Empty);
        // Checked once: this node now remembers the session as live.
        Assert.That((await browser.GetAsync("/account/manage/sessions")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await scim.ExpectAsync(HttpMethod.Delete, $"/Users/{created["id"]}", null, HttpStatusCode.NoContent);

        var after = await browser.GetAsync("/account/manage");
        Assert.That(Browser.IsRedirect(after), Is.True, $"the deleted account's session is over (got {(int)after.StatusCode})");
        Assert.That(browser.RedirectTarget(after).AbsolutePath, Is.EqualTo("/account/signin"));
    }

    private async Task<(string OrganizationId, ScimClient Scim, string Domain)> OrganizationAsync()
    {
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("acct"), ownerUserId: null);
        var domain = $"d{Guid.NewGuid():N}.example.test";
        var added = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", platform, new { name = domain });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{added.GetProperty("id").GetString()}/mark-verified", platform);
        var created = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/scim-tokens", platform, new { name = "Entra" });
        return (org, new ScimClient(api, created.GetProperty("token").GetString()!), domain);
    }
}
