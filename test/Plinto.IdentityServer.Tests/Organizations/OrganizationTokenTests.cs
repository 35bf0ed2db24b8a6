using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Organizations;

/// <summary>Organization selection at sign-in, org claims in tokens, switching, per-organization policies, revocation on removal.</summary>
internal sealed class OrganizationTokenTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly TestTime time = new();

    protected override TestTime? Time => time;

    private string platform = null!;

    // Per test: one test moves the clock past the access token lifetime.
    [SetUp]
    public async Task GetPlatformTokenAsync() => platform = await AdminApiClient.AutomationTokenAsync(Factory.CreateClient());

    [Test]
    public async Task A_user_in_two_organizations_gets_each_organizations_roles_and_permissions_and_switches_without_a_password()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var other = await Factory.CreateUserAsync(UniqueUser.Email("owner"), UniqueUser.Password);
        var (slugA, slugB) = (AdminApiClient.NewSlug("a"), AdminApiClient.NewSlug("b"));
        var orgA = await AdminApiClient.CreateOrganizationAsync(api, platform, slugA, user.Id);
        var orgB = await AdminApiClient.CreateOrganizationAsync(api, platform, slugB, other.Id);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/permissions", platform, new { name = "invoices:read" });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{orgB}/roles/billing", platform,
            new { description = "Billing", permissions = new[] { "invoices:read", "org:read" } });
        await AdminApiClient.AddMemberAsync(api, platform, orgB, user.Id, "billing");

        var browser = NewBrowser();
        var inA = await TokensAsync(browser, $"openid organization:{slugA} offline_access", email);
        var idA = Payload(inA.Get("id_token"));
        Assert.Multiple(() =>
        {
            Assert.That(idA.GetProperty("org_id").GetString(), Is.EqualTo(orgA));
            Assert.That(idA.GetProperty("org_slug").GetString(), Is.EqualTo(slugA));
            Assert.That(Strings(idA, "org_roles"), Is.EqualTo(new[] { "owner" }));
            Assert.That(Strings(idA, "org_permissions"), Does.Contain("org:delete"));
            Assert.That(Payload(inA.Get("access_token")).GetProperty("org_id").GetString(), Is.EqualTo(orgA));
        });

        // Switching: the same browser session, another organization, no password prompt (email: null fails on one).
        var inB = await TokensAsync(browser, $"openid organization:{slugB}", email: null);
        var idB = Payload(inB.Get("id_token"));
        Assert.Multiple(() =>
        {
            Assert.That(idB.GetProperty("org_id").GetString(), Is.EqualTo(orgB));
            Assert.That(Strings(idB, "org_roles"), Is.EqualTo(new[] { "billing" }));
            Assert.That(Strings(idB, "org_permissions"), Is.EqualTo(new[] { "invoices:read", "org:read" }));
        });

        // "organization" alone: two memberships, so the picker lists both; the choice decides the claims.
        var (_, picker) = await browser.OpenAsync(OidcClient.AuthorizeUrl(
            PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, "openid organization", OidcClient.NewPkce()));
        Assert.That(picker.QuerySelectorAll("button[data-organization]").Select(b => b.GetAttribute("data-organization")),
            Is.EquivalentTo(new[] { slugA, slugB }));
        var picked = await TokensAsync(browser, "openid organization", email: null, pick: slugB);
        Assert.That(Payload(picked.Get("id_token")).GetProperty("org_slug").GetString(), Is.EqualTo(slugB));

        // A refresh keeps the organization, with its roles read again.
        var refreshed = await OidcClient.RefreshAsync(api, inA.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
        Assert.That(Payload(refreshed.Get("access_token")).GetProperty("org_slug").GetString(), Is.EqualTo(slugA));
    }

    [Test]
    public async Task An_organization_the_account_is_not_in_is_refused_exactly_like_one_that_does_not_exist()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var stranger = await Factory.CreateUserAsync(UniqueUser.Email("stranger"), UniqueUser.Password);
        var mine = AdminApiClient.NewSlug("mine");
        var theirs = AdminApiClient.NewSlug("theirs");
        await AdminApiClient.CreateOrganizationAsync(api, platform, mine, user.Id);
        await AdminApiClient.CreateOrganizationAsync(api, platform, theirs, stranger.Id);
        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);

        var notMember = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, Url($"openid organization:{theirs}")));
        var missing = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, Url($"openid organization:{AdminApiClient.NewSlug("none")}")));
        Assert.Multiple(() =>
        {
            Assert.That(notMember["error"], Is.EqualTo("access_denied"));
            Assert.That(missing["error"], Is.EqualTo("access_denied"));
            Assert.That(notMember["error_description"], Is.EqualTo(missing["error_description"]));
        });

        // Like any scope error found while OpenIddict validates the request: an error page, not a redirect.
        var twoSlugs = await browser.GetAsync(Url($"openid organization:{mine} organization:{theirs}"));
        var body = await twoSlugs.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(twoSlugs.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body, Does.Contain("invalid_scope"));
        });
    }

    [Test]
    public async Task A_raw_organization_parameter_is_ignored_so_the_picker_cannot_be_skipped()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var slug = AdminApiClient.NewSlug();
        await AdminApiClient.CreateOrganizationAsync(api, platform, slug, user.Id);
        await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), user.Id);
        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);

        var (response, page) = await browser.OpenAsync(Url("openid organization", new() { ["plinto_organization"] = slug, ["prompt"] = "select_account" }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.QuerySelectorAll("button[data-organization]"), Has.Length.EqualTo(2), "the picker is shown");
        Assert.That(page.QuerySelector("input[name=plinto_organization]"), Is.Null);
    }

    [Test]
    public async Task Prompt_none_with_several_organizations_and_no_choice_asks_the_client_to_choose()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), user.Id);
        await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), user.Id);
        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);

        var result = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, Url("openid organization", new() { ["prompt"] = "none" })));
        Assert.That(result["error"], Is.EqualTo("account_selection_required"));
    }

    [Test]
    public async Task Mfa_required_by_one_organization_is_asked_only_for_that_organization_and_stops_its_refresh_tokens()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var (strict, relaxed) = (AdminApiClient.NewSlug("strict"), AdminApiClient.NewSlug("relaxed"));
        var strictId = await AdminApiClient.CreateOrganizationAsync(api, platform, strict, user.Id);
        var relaxedId = await AdminApiClient.CreateOrganizationAsync(api, platform, relaxed, user.Id);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{strictId}", platform, new { requireMfa = true });

        var browser = NewBrowser();
        var tokens = await TokensAsync(browser, $"openid organization:{relaxed} offline_access", email);
        Assert.That(Payload(tokens.Get("id_token")).GetProperty("org_slug").GetString(), Is.EqualTo(relaxed));

        // The same password-only session, for the strict organization: a second factor first (none enrolled: set-up).
        var response = await browser.FollowAsync(await browser.GetAsync(Url($"openid organization:{strict}")));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/mfa/setup"), await response.Content.ReadAsStringAsync());
        var silent = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, Url($"openid organization:{strict}", new() { ["prompt"] = "none" })));
        Assert.That(silent["error"], Is.EqualTo("interaction_required"));

        // Tightened later: the relaxed organization's existing refresh token stops working.
        var before = await OidcClient.RefreshAsync(api, tokens.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(before.Status, Is.EqualTo(HttpStatusCode.OK), before.Json.ToString());
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{relaxedId}", platform, new { requireMfa = true });
        var after = await OidcClient.RefreshAsync(api, before.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(after.Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task Removing_a_member_revokes_the_tokens_issued_for_that_organization_and_nothing_else()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var owner = await Factory.CreateUserAsync(UniqueUser.Email("owner"), UniqueUser.Password);
        var slug = AdminApiClient.NewSlug();
        var organization = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        await AdminApiClient.AddMemberAsync(api, platform, organization, user.Id, "member");

        var browser = NewBrowser();
        var forOrganization = await TokensAsync(browser, $"openid organization:{slug} offline_access", email);
        var personal = await TokensAsync(browser, "openid offline_access", email: null);

        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{organization}/members/{user.Id}", platform,
            expected: HttpStatusCode.NoContent);

        var refreshOrganization = await OidcClient.RefreshAsync(api, forOrganization.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        var refreshPersonal = await OidcClient.RefreshAsync(api, personal.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        var introspection = await OidcClient.PostFormAsync(api, "/connect/introspect", PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret,
            new Dictionary<string, string> { ["token"] = forOrganization.Get("access_token") });
        Assert.Multiple(() =>
        {
            Assert.That(refreshOrganization.Error, Is.EqualTo("invalid_grant"));
            Assert.That(refreshPersonal.Status, Is.EqualTo(HttpStatusCode.OK), refreshPersonal.Json.ToString());
            Assert.That(introspection.GetProperty("active").GetBoolean(), Is.False, "the access token for the organization is revoked too");
        });

        var audit = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{organization}/audit", platform);
        Assert.That(audit.EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetString())),
            Does.Contain(("organization.member.removed", user.Id)));
    }

    [Test]
    public async Task An_organization_session_lifetime_asks_for_a_fresh_sign_in_and_ends_its_refresh_tokens()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var slug = AdminApiClient.NewSlug();
        var organization = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, user.Id);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{organization}", platform, new { sessionLifetimeMinutes = 15 });

        var browser = NewBrowser();
        var tokens = await TokensAsync(browser, $"openid organization:{slug} offline_access", email);
        time.Advance(TimeSpan.FromMinutes(20));

        await browser.FollowAsync(await browser.GetAsync(Url($"openid organization:{slug}")));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"));
        var refresh = await OidcClient.RefreshAsync(api, tokens.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(refresh.Error, Is.EqualTo("invalid_grant"));

        // Signing in again satisfies it.
        var again = await TokensAsync(browser, $"openid organization:{slug}", email);
        Assert.That(Payload(again.Get("id_token")).GetProperty("org_id").GetString(), Is.EqualTo(organization));
    }

    [Test]
    public async Task An_organization_that_allows_only_passkeys_refuses_a_password_session()
    {
        var api = Factory.CreateClient();
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var slug = AdminApiClient.NewSlug();
        var organization = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, user.Id, name: "Passkey Corp");
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{organization}", platform, new { allowedMethods = new[] { "passkey" } });

        var browser = NewBrowser();
        await SignInAsync(browser, email, UniqueUser.Password);
        var (response, page) = await browser.OpenAsync(Url($"openid organization:{slug}"));
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(page.QuerySelector("[role=alert]")?.TextContent, Does.Contain("Passkey Corp requires signing in with a passkey"));
        });
        var silent = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, Url($"openid organization:{slug}", new() { ["prompt"] = "none" })));
        Assert.That(silent["error"], Is.EqualTo("login_required"));

        var invalid = await AdminApiClient.SendAsync(api, HttpMethod.Patch, $"/api/organizations/{organization}", platform, new { allowedMethods = new[] { "carrier-pigeon" } });
        Assert.That(invalid.Status, Is.EqualTo(HttpStatusCode.BadRequest), invalid.Json.ToString());
    }

    private static string Url(string scope, Dictionary<string, string?>? extra = null) =>
        OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, scope, OidcClient.NewPkce(), extra);

    private static async Task<TokenResponse> TokensAsync(Browser browser, string scope, string? email, string? pick = null)
    {
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser,
            OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, scope, pkce),
            email, email is null ? null : UniqueUser.Password, organization: pick);
        var query = OidcClient.Query(callback);
        Assert.That(query.ContainsKey("code"), Is.True, callback.ToString());
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, query["code"],
            PlintoFactory.ConfidentialRedirect, pkce, PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());
        return tokens;
    }

    /// <summary>The claims of a JWT (the signature is checked by the JWKS tests; here the content matters).</summary>
    internal static JsonElement Payload(string jwt) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[1])).RootElement.Clone();

    internal static string[] Strings(JsonElement payload, string name) =>
        payload.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
}
