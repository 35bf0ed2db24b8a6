using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Organizations;

/// <summary>The hosted organization pages: self-service creation, settings and policies, members, invitations, roles, domains.</summary>
internal sealed class OrganizationPagesTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Organizations:SelfService"] = "true",
    };

    [Test]
    public async Task An_owner_creates_an_organization_and_runs_it_from_the_hosted_pages()
    {
        using var api = Factory.CreateClient();
        var platform = await AdminApiClient.AutomationTokenAsync(api);
        var (_, browser) = await SignedInUserAsync("Olive Owner");
        var slug = AdminApiClient.NewSlug("acme");

        // Self-service: the creator becomes the owner.
        var (_, index) = await browser.OpenAsync("/account/organizations");
        await browser.FollowAsync(await browser.SubmitAsync(index, new Dictionary<string, string> { ["Input.Name"] = "Acme Corp", ["Input.Slug"] = slug }));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo($"/account/organizations/{slug}"));
        var org = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, "/api/organizations", platform)).EnumerateArray()
            .Single(o => o.GetProperty("slug").GetString() == slug).GetProperty("id").GetString()!;

        // Settings and policies; the colour becomes the pages' theme.
        var (_, settings) = await browser.OpenAsync($"/account/organizations/{slug}");
        var saved = await browser.SubmitAsync(settings, new Dictionary<string, string>
        {
            ["Input.Name"] = "Acme Corporation",
            ["Input.PrimaryColor"] = "#0F766E",
            ["Input.RequireMfa"] = "true",
            ["Input.AllowPassword"] = "true",
            ["Input.AllowPasskey"] = "true",
            ["Input.AllowSaml"] = "false",
            ["Input.AllowEmailCode"] = "false",
            ["Input.SessionLifetimeMinutes"] = "480",
        });
        Assert.That(Browser.IsRedirect(saved), Is.True, (await Browser.ReadPageAsync(saved)).QuerySelector(".error-summary")?.TextContent);
        var view = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}", platform);
        Assert.Multiple(() =>
        {
            Assert.That(view.GetProperty("name").GetString(), Is.EqualTo("Acme Corporation"));
            Assert.That(view.GetProperty("policies").GetProperty("requireMfa").GetBoolean(), Is.True);
            Assert.That(view.GetProperty("policies").GetProperty("allowedMethods").EnumerateArray().Select(m => m.GetString()),
                Is.EqualTo(new[] { "password", "passkey" }));
            Assert.That(view.GetProperty("policies").GetProperty("sessionLifetimeMinutes").GetInt32(), Is.EqualTo(480));
        });
        var (_, themed) = await browser.OpenAsync($"/account/organizations/{slug}");
        Assert.That(themed.QuerySelector($"link[href='/theme/{slug}.css']"), Is.Not.Null);
        Assert.That(await browser.Client.GetStringAsync($"/theme/{slug}.css"), Does.Contain("--plinto-primary: #0f766e").And.Contain("--plinto-primary-contrast: #ffffff"));

        // Invitations: sent by e-mail, listed, revocable.
        var invitee = UniqueUser.Email("invitee");
        var (_, invitations) = await browser.OpenAsync($"/account/organizations/{slug}/invitations");
        await browser.FollowAsync(await browser.SubmitAsync(invitations, new Dictionary<string, string> { ["Email"] = invitee, ["Role"] = "member" }));
        await MailDrop.WaitForAsync(Factory.MailFolder, invitee, "You are invited to join Acme Corporation");
        var (_, listed) = await browser.OpenAsync($"/account/organizations/{slug}/invitations");
        Assert.That(listed.QuerySelector("[data-testid=invitation]")?.TextContent, Does.Contain(invitee).And.Contain("pending"));
        await browser.FollowAsync(await browser.SubmitAsync(listed, new Dictionary<string, string>(), "[data-testid=invitation] form"));
        var (_, afterRevoke) = await browser.OpenAsync($"/account/organizations/{slug}/invitations");
        Assert.That(afterRevoke.QuerySelector("[data-testid=invitation]")?.TextContent, Does.Contain("revoked"));

        // Custom permission and role, then a member given that role and removed.
        var (_, roles) = await browser.OpenAsync($"/account/organizations/{slug}/roles");
        await browser.FollowAsync(await browser.SubmitAsync(roles, new Dictionary<string, string> { ["name"] = "reports:read", ["description"] = "Read reports" },
            "form[action*=CreatePermission]"));
        (_, roles) = await browser.OpenAsync($"/account/organizations/{slug}/roles");
        await browser.FollowAsync(await browser.SubmitAsync(roles, new Dictionary<string, string> { ["name"] = "analyst", ["permissions"] = "reports:read" },
            "form[action*=SaveRole]"));
        var member = await Factory.CreateUserAsync(UniqueUser.Email("member"), UniqueUser.Password);
        await AdminApiClient.AddMemberAsync(api, platform, org, member.Id, "member");
        var (_, members) = await browser.OpenAsync($"/account/organizations/{slug}/members");
        await browser.FollowAsync(await browser.SubmitAsync(members, new Dictionary<string, string> { ["roles"] = "analyst" }, $"form[data-member='{member.Id}']"));
        var memberView = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform)).EnumerateArray()
            .Single(m => m.GetProperty("userId").GetString() == member.Id);
        Assert.That(memberView.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "analyst" }));
        (_, members) = await browser.OpenAsync($"/account/organizations/{slug}/members");
        await browser.FollowAsync(await browser.SubmitAsync(members, new Dictionary<string, string>(), $"form[data-remove='{member.Id}']"));
        var remaining = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(remaining.EnumerateArray().Select(m => m.GetProperty("userId").GetString()), Does.Not.Contain(member.Id));

        // Domains: the TXT record to publish is shown.
        var (_, domains) = await browser.OpenAsync($"/account/organizations/{slug}/domains");
        await browser.FollowAsync(await browser.SubmitAsync(domains, new Dictionary<string, string> { ["name"] = "acme.example" }, "form[action*=Add]"));
        (_, domains) = await browser.OpenAsync($"/account/organizations/{slug}/domains");
        Assert.That(domains.QuerySelector("[data-testid=domain]")?.TextContent, Does.Contain("_plinto-verification.acme.example").And.Contain("plinto-verification="));
    }

    [Test]
    public async Task Strangers_get_not_found_and_members_without_the_permission_get_a_clear_error()
    {
        using var api = Factory.CreateClient();
        var platform = await AdminApiClient.AutomationTokenAsync(api);
        var (_, ownerBrowser) = await SignedInUserAsync();
        var slug = AdminApiClient.NewSlug();
        var (_, index) = await ownerBrowser.OpenAsync("/account/organizations");
        await ownerBrowser.FollowAsync(await ownerBrowser.SubmitAsync(index, new Dictionary<string, string> { ["Input.Name"] = "Private", ["Input.Slug"] = slug }));
        var org = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, "/api/organizations", platform)).EnumerateArray()
            .Single(o => o.GetProperty("slug").GetString() == slug).GetProperty("id").GetString()!;

        var (_, stranger) = await SignedInUserAsync();
        foreach (var section in new[] { "", "/members", "/invitations", "/roles", "/domains" })
        {
            var response = await stranger.GetAsync($"/account/organizations/{slug}{section}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), section);
        }

        var email = UniqueUser.Email("member");
        var member = await Factory.CreateUserAsync(email, UniqueUser.Password);
        await AdminApiClient.AddMemberAsync(api, platform, org, member.Id, "member");
        var memberBrowser = NewBrowser();
        await SignInAsync(memberBrowser, email, UniqueUser.Password);
        var (_, settings) = await memberBrowser.OpenAsync($"/account/organizations/{slug}");
        var refused = await Browser.ReadPageAsync(await memberBrowser.SubmitAsync(settings, new Dictionary<string, string> { ["Input.Name"] = "Taken over" }));
        Assert.That(refused.QuerySelector(".error-summary")?.TextContent, Does.Contain("org:update"));
        var view = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}", platform);
        Assert.That(view.GetProperty("name").GetString(), Is.EqualTo("Private"));
    }
    [Test]
    public async Task A_scim_token_is_created_on_the_page_shown_once_and_revoked_there()
    {
        var (_, browser) = await SignedInUserAsync();
        var slug = AdminApiClient.NewSlug();
        var (_, index) = await browser.OpenAsync("/account/organizations");
        await browser.FollowAsync(await browser.SubmitAsync(index, new Dictionary<string, string> { ["Input.Name"] = "Provisioned", ["Input.Slug"] = slug }));

        var (_, page) = await browser.OpenAsync($"/account/organizations/{slug}/scim");
        Assert.That(page.QuerySelector("[data-testid=scim-base-url]")?.TextContent, Is.EqualTo("https://localhost/scim/v2"));
        var created = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["name"] = "Okta" }, "form[action*=Create]"));
        var token = created.QuerySelector("[data-testid=scim-token]")?.TextContent;
        Assert.That(token, Does.StartWith("scim_"));

        var scim = new Plinto.IdentityServer.Tests.Scim.ScimClient(browser.Client, token!);
        await scim.GetAsync("/Users");
        var (_, again) = await browser.OpenAsync($"/account/organizations/{slug}/scim");
        Assert.That(again.QuerySelector("[data-testid=scim-token]"), Is.Null, "the secret is shown once");
        Assert.That(again.QuerySelector("[data-testid=scim-token-row]")?.TextContent, Does.Contain("Okta").And.Contain("last used"));

        await browser.FollowAsync(await browser.SubmitAsync(again, new Dictionary<string, string>(), "[data-testid=scim-token-row] form"));
        await scim.ExpectAsync(HttpMethod.Get, "/Users", null, HttpStatusCode.Unauthorized);
    }
    [Test]
    public async Task An_owner_adds_a_SAML_connection_on_the_page_and_sees_what_to_give_the_IdP()
    {
        var (_, browser) = await SignedInUserAsync();
        var slug = AdminApiClient.NewSlug();
        var (_, index) = await browser.OpenAsync("/account/organizations");
        await browser.FollowAsync(await browser.SubmitAsync(index, new Dictionary<string, string> { ["Input.Name"] = "Federated", ["Input.Slug"] = slug }));

        var (_, page) = await browser.OpenAsync($"/account/organizations/{slug}/sso");
        var refused = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["metadataXml"] = "<not-metadata/>" }, "form[action*=Create]"));
        Assert.That(refused.QuerySelector(".error-summary")?.TextContent, Does.Contain("metadata"));

        await browser.FollowAsync(await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["name"] = "Test IdP",
            ["metadataXml"] = new TestSamlIdp().Metadata(),
        }, "form[action*=Create]"));
        var (_, listed) = await browser.OpenAsync($"/account/organizations/{slug}/sso");
        var row = listed.QuerySelector("[data-testid=sso-connection]")?.TextContent;
        Assert.That(row, Does.Contain("Test IdP").And.Contain("Enabled").And.Contain("/acs").And.Contain(TestSamlIdp.EntityId));

        await browser.FollowAsync(await browser.SubmitAsync(listed, new Dictionary<string, string>(), "[data-testid=sso-connection] form[action*=Enable]"));
        (_, listed) = await browser.OpenAsync($"/account/organizations/{slug}/sso");
        Assert.That(listed.QuerySelector("[data-testid=sso-connection]")?.TextContent, Does.Contain("Disabled"));
    }
}
