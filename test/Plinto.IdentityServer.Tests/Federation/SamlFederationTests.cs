using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using Plinto.IdentityServer.Tests.Organizations;

namespace Plinto.IdentityServer.Tests.Federation;

/// <summary>
/// Signing in through an organization's SAML IdP inside an OIDC flow: home-realm discovery, the AuthnRequest, the ACS,
/// just-in-time accounts and linking, replay, browser binding, group mapping, and the SP metadata.
/// </summary>
internal sealed class SamlFederationTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly TestSamlIdp idp = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Clients:0:InitiateLoginUri"] = "https://client.test/login",
    };
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

    private sealed record Setup(string OrganizationId, string Slug, string Domain, string ConnectionId);

    private async Task<Setup> OrganizationWithConnectionAsync(object? settings = null)
    {
        var slug = AdminApiClient.NewSlug("sso");
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, ownerUserId: null);
        var domain = $"d{Guid.NewGuid():N}.example.test";
        var added = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", platform, new { name = domain });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{added.GetProperty("id").GetString()}/mark-verified", platform);
        var connection = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/saml-connections", platform,
            new { metadataXml = idp.Metadata(), settings = settings ?? new { name = "Test IdP" } });
        return new Setup(org, slug, domain, connection.GetProperty("id").GetString()!);
    }

    /// <summary>The browser walks from the authorization request through HRD to the IdP; returns the IdP redirect.</summary>
    private static async Task<(Uri IdpRedirect, OidcClient.Pkce Pkce)> StartAsync(Browser browser, string email, string scope)
    {
        var pkce = OidcClient.NewPkce();
        var response = await browser.FollowAsync(await browser.GetAsync(OidcClient.AuthorizeUrl(
            PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, scope, pkce)));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"));
        var page = await Browser.ReadPageAsync(response);
        // Home-realm discovery: the address alone, no password.
        var redirected = await browser.FollowAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = string.Empty }));
        Assert.That(Browser.IsRedirect(redirected), Is.True, "sent to the IdP");
        return (browser.RedirectTarget(redirected), pkce);
    }

    private static async Task<HttpResponseMessage> PostToAcsAsync(Browser browser, string acs, string samlResponse, string? relayState)
    {
        var form = new Dictionary<string, string> { ["SAMLResponse"] = samlResponse };
        if (relayState is not null)
        {
            form["RelayState"] = relayState;
        }

        // The IdP's auto-submitted form; the ACS answers with a redirect (to continue, or to the error).
        return await browser.Client.PostAsync(new Uri(acs).PathAndQuery, new FormUrlEncodedContent(form));
    }

    private const string Refused = "/account/signin?error=sso";

    [Test]
    public async Task A_person_signs_in_through_the_organizations_IdP_and_the_client_gets_ext_and_the_org_claims()
    {
        var setup = await OrganizationWithConnectionAsync();
        // The organization accepts only its own SAML IdP: the "ext" session below must count as that.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{setup.OrganizationId}", platform, new { allowedMethods = new[] { "saml" } });
        var email = $"ada-{Guid.NewGuid():N}@{setup.Domain}";
        var browser = NewBrowser();
        var (redirect, pkce) = await StartAsync(browser, email, $"openid organization:{setup.Slug}");
        var (requestId, acs, spEntityId, relayState) = TestSamlIdp.ReadRequest(redirect);
        Assert.Multiple(() =>
        {
            Assert.That(acs, Is.EqualTo($"https://localhost/saml2/{setup.ConnectionId}/acs"));
            Assert.That(spEntityId, Is.EqualTo($"https://localhost/saml2/{setup.ConnectionId}"));
            Assert.That(relayState, Is.Not.Null.And.Not.Contain("/"), "RelayState is our own opaque value, not a URL");
        });

        var samlResponse = idp.Response(requestId, acs, spEntityId, nameId: "00u1ada", new Dictionary<string, string[]> { ["email"] = [email] });
        var back = await browser.FollowAsync(await PostToAcsAsync(browser, acs, samlResponse, relayState));
        Assert.That(Browser.IsRedirect(back), Is.True, await back.Content.ReadAsStringAsync());
        var callback = OidcClient.Query(browser.RedirectTarget(back));
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, callback["code"], PlintoFactory.ConfidentialRedirect, pkce,
            PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        var claims = OrganizationTokenTests.Payload(tokens.Get("id_token"));
        Assert.Multiple(() =>
        {
            Assert.That(OrganizationTokenTests.Strings(claims, "amr"), Is.EqualTo(new[] { "ext" }));
            Assert.That(claims.GetProperty("org_id").GetString(), Is.EqualTo(setup.OrganizationId));
            Assert.That(OrganizationTokenTests.Strings(claims, "org_roles"), Is.EqualTo(new[] { "member" }));
        });

        // Replay: the same response a second time is refused, whoever posts it.
        var replay = await PostToAcsAsync(browser, acs, samlResponse, relayState);
        Assert.That(browser.RedirectTarget(replay).PathAndQuery, Is.EqualTo(Refused));
    }

    [Test]
    public async Task Someone_elses_wrong_passwords_do_not_stop_a_sign_in_at_the_IdP_but_a_deactivation_does()
    {
        var setup = await OrganizationWithConnectionAsync();
        var email = $"grace-{Guid.NewGuid():N}@{setup.Domain}";
        Assert.That(await SignInThroughIdpAsync(setup, email), Is.Not.EqualTo(Refused), "the first sign-in provisions the account");

        // Five wrong passwords for the address, typed by anyone: a temporary lockout, which stops password guessing only.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var account = (await users.FindByEmailAsync(email))!;
            for (var i = 0; i < 5; i++)
            {
                await users.AccessFailedAsync(account);
            }

            Assert.That(await users.IsLockedOutAsync(account), Is.True);
        }

        Assert.That(await SignInThroughIdpAsync(setup, email), Is.Not.EqualTo(Refused), "a temporary lockout does not stop single sign-on");

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            await users.DeactivateAsync((await users.FindByEmailAsync(email))!);
        }

        Assert.That(await SignInThroughIdpAsync(setup, email), Is.EqualTo(Refused), "a deactivated account does not sign in");
    }

    /// <summary>A fresh browser from the authorization request through the IdP; where the ACS sent it.</summary>
    private async Task<string> SignInThroughIdpAsync(Setup setup, string email)
    {
        var browser = NewBrowser();
        var (redirect, _) = await StartAsync(browser, email, "openid");
        var (requestId, acs, spEntityId, relayState) = TestSamlIdp.ReadRequest(redirect);
        var samlResponse = idp.Response(requestId, acs, spEntityId, nameId: "00u1" + email[..12], new Dictionary<string, string[]> { ["email"] = [email] });
        var response = await PostToAcsAsync(browser, acs, samlResponse, relayState);
        Assert.That(Browser.IsRedirect(response), Is.True, await response.Content.ReadAsStringAsync());
        return browser.RedirectTarget(response).PathAndQuery;
    }

    [Test]
    public async Task A_response_is_bound_to_the_browser_that_made_the_request()
    {
        var setup = await OrganizationWithConnectionAsync();
        var email = $"bob-{Guid.NewGuid():N}@{setup.Domain}";
        var (redirect, _) = await StartAsync(NewBrowser(), email, "openid");
        var (requestId, acs, spEntityId, relayState) = TestSamlIdp.ReadRequest(redirect);
        var samlResponse = idp.Response(requestId, acs, spEntityId, "00u1bob", new Dictionary<string, string[]> { ["email"] = [email] });

        // Another browser (the attacker's, with a response for the victim's request): no cookie for it.
        var other = NewBrowser();
        var refused = await PostToAcsAsync(other, acs, samlResponse, relayState);
        Assert.That(other.RedirectTarget(refused).PathAndQuery, Is.EqualTo(Refused));
    }

    [Test]
    public async Task Forged_or_misaddressed_responses_are_refused()
    {
        var setup = await OrganizationWithConnectionAsync();
        var email = $"eve-{Guid.NewGuid():N}@{setup.Domain}";
        var browser = NewBrowser();
        var (redirect, _) = await StartAsync(browser, email, "openid");
        var (requestId, acs, _, relayState) = TestSamlIdp.ReadRequest(redirect);

        // Signed by another key (a different "IdP"), and one for another SP: both end on the generic error.
        var stranger = new TestSamlIdp();
        var forged = stranger.Response(requestId, acs, $"https://localhost/saml2/{setup.ConnectionId}", "00u1eve", new Dictionary<string, string[]> { ["email"] = [email] });
        Assert.That(browser.RedirectTarget(await PostToAcsAsync(browser, acs, forged, relayState)).PathAndQuery, Is.EqualTo(Refused));

        var (redirect2, _) = await StartAsync(browser, email, "openid");
        var (requestId2, acs2, _, relayState2) = TestSamlIdp.ReadRequest(redirect2);
        var otherAudience = idp.Response(requestId2, acs2, "https://another-sp.example.test", "00u1eve", new Dictionary<string, string[]> { ["email"] = [email] });
        Assert.That(browser.RedirectTarget(await PostToAcsAsync(browser, acs2, otherAudience, relayState2)).PathAndQuery, Is.EqualTo(Refused));

        var (_, page) = await browser.OpenAsync("/account/signin?error=sso");
        Assert.That(page.QuerySelector(".error-summary")?.TextContent, Does.Contain("Single sign-on with your organization did not work"));
    }

    [Test]
    public async Task An_existing_account_on_the_verified_domain_is_linked_and_groups_map_to_roles()
    {
        var setup = await OrganizationWithConnectionAsync();
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{setup.OrganizationId}/roles/engineer", platform, new { permissions = new[] { "org:read" } });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{setup.OrganizationId}/saml-connections/{setup.ConnectionId}", platform,
            new { settings = new { groupsAttribute = "groups", givenNameAttribute = "givenName", groupRoles = new Dictionary<string, string> { ["Engineering"] = "engineer" } } });
        var email = $"existing-{Guid.NewGuid():N}@{setup.Domain}";
        var existing = await Factory.CreateUserAsync(email, UniqueUser.Password);

        async Task SignInAsync(string[] groups, string givenName)
        {
            var browser = NewBrowser();
            var (redirect, _) = await StartAsync(browser, email, "openid");
            var (requestId, acs, spEntityId, relayState) = TestSamlIdp.ReadRequest(redirect);
            var response = idp.Response(requestId, acs, spEntityId, "00u1existing",
                new Dictionary<string, string[]> { ["email"] = [email], ["groups"] = groups, ["givenName"] = [givenName] });
            var back = await browser.FollowAsync(await PostToAcsAsync(browser, acs, response, relayState));
            Assert.That(browser.RedirectTarget(back).Host, Is.EqualTo("client.test"), "back to the client with a code");
        }

        await SignInAsync(["Engineering", "Unmapped"], "Ada");
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{setup.OrganizationId}/members", platform);
        var member = members.EnumerateArray().Single();
        Assert.That(member.GetProperty("userId").GetString(), Is.EqualTo(existing.Id), "linked, not a second account");
        Assert.That(member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EquivalentTo(new[] { "member", "engineer" }));
        Assert.That(member.GetProperty("name").GetString(), Is.EqualTo("Ada"));

        // Next sign-in: the group is gone, and so is the role; the name is refreshed.
        await SignInAsync([], "Augusta");
        member = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{setup.OrganizationId}/members", platform)).EnumerateArray().Single();
        Assert.That(member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "member" }));
        Assert.That(member.GetProperty("name").GetString(), Is.EqualTo("Augusta"));

        // A role a connection maps groups to cannot be deleted (the next sign-in would point at a missing role).
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{setup.OrganizationId}/roles/engineer", platform, expected: HttpStatusCode.Conflict);
        await SignInAsync(["Engineering"], "Ada");
    }

    [Test]
    public async Task An_existing_account_outside_the_organizations_verified_domains_is_never_linked()
    {
        var setup = await OrganizationWithConnectionAsync();
        var outsider = UniqueUser.Email("outsider");
        var victim = await Factory.CreateUserAsync(outsider, UniqueUser.Password);
        var browser = NewBrowser();
        var start = await browser.GetAsync($"/saml2/{setup.ConnectionId}/signin?returnUrl=/");
        var (requestId, acs, spEntityId, relayState) = TestSamlIdp.ReadRequest(browser.RedirectTarget(start));
        var response = idp.Response(requestId, acs, spEntityId, "00u1takeover", new Dictionary<string, string[]> { ["email"] = [outsider] });
        var back = await PostToAcsAsync(browser, acs, response, relayState);
        Assert.That(browser.RedirectTarget(back).PathAndQuery, Is.EqualTo(Refused));
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        Assert.That(db.Set<Plinto.IdentityServer.Federation.Saml.SamlIdentity>().Any(i => i.UserId == victim.Id), Is.False);
    }

    [Test]
    public async Task IdP_initiated_sign_in_is_off_by_default_and_each_assertion_works_once()
    {
        var setup = await OrganizationWithConnectionAsync();
        var email = $"carol-{Guid.NewGuid():N}@{setup.Domain}";
        var acs = $"https://localhost/saml2/{setup.ConnectionId}/acs";
        var sp = $"https://localhost/saml2/{setup.ConnectionId}";
        var attributes = new Dictionary<string, string[]> { ["email"] = [email] };
        var browser = NewBrowser();
        var unsolicited = await PostToAcsAsync(browser, acs, idp.Response(null, acs, sp, "00u1carol", attributes), relayState: null);
        Assert.That(browser.RedirectTarget(unsolicited).PathAndQuery, Is.EqualTo(Refused), "off by default");

        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{setup.OrganizationId}/saml-connections/{setup.ConnectionId}", platform,
            new { settings = new { allowIdpInitiated = true, idpInitiatedClientId = PlintoFactory.ConfidentialClientId } });
        var response = idp.Response(null, acs, sp, "00u1carol", attributes);
        var first = await PostToAcsAsync(browser, acs, response, relayState: null);
        // OIDC Core §4: to the allowlisted client's login initiation endpoint, which then asks for a code as usual.
        var initiate = browser.RedirectTarget(first);
        Assert.That(initiate.GetLeftPart(UriPartial.Path), Is.EqualTo("https://client.test/login"));
        Assert.That(OidcClient.Query(initiate), Is.EquivalentTo(new Dictionary<string, string> { ["iss"] = "https://localhost/", ["login_hint"] = email }));
        var tokens = await WebClientTokensAsync(browser, $"openid organization:{setup.Slug}");
        Assert.That(OrganizationTokenTests.Strings(OrganizationTokenTests.Payload(tokens.Get("id_token")), "amr"), Is.EqualTo(new[] { "ext" }),
            "the client's own authorization request is answered by the SAML session");
        var replayed = await PostToAcsAsync(NewBrowser(), acs, response, relayState: null);
        Assert.That(browser.RedirectTarget(replayed).PathAndQuery, Is.EqualTo(Refused), "the replay cache knows the assertion");

        // Login CSRF: an unsolicited response for someone else never replaces the session a browser has.
        var (_, signedIn) = await SignedInUserAsync();
        var forced = await PostToAcsAsync(signedIn, acs, idp.Response(null, acs, sp, "00u1mallory",
            new Dictionary<string, string[]> { ["email"] = [$"mallory-{Guid.NewGuid():N}@{setup.Domain}"] }), relayState: null);
        Assert.That(signedIn.RedirectTarget(forced).PathAndQuery, Is.EqualTo(Refused));
    }

    [Test]
    public async Task A_client_hint_or_a_login_hint_on_the_domain_goes_straight_to_the_IdP()
    {
        var setup = await OrganizationWithConnectionAsync();
        foreach (var (scope, extra) in new (string, Dictionary<string, string?>)[]
        {
            ($"openid organization:{setup.Slug}", new() { ["plinto_connection"] = setup.ConnectionId }),
            ("openid", new() { ["login_hint"] = $"someone@{setup.Domain}" }),
        })
        {
            var browser = NewBrowser();
            var response = await browser.FollowAsync(await browser.GetAsync(OidcClient.AuthorizeUrl(
                PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, scope, OidcClient.NewPkce(), extra)));
            Assert.That(Browser.IsRedirect(response), Is.True, "no sign-in page in between");
            Assert.That(browser.RedirectTarget(response).GetLeftPart(UriPartial.Path), Is.EqualTo(TestSamlIdp.SsoUrl));
        }

        // A connection hint for another organization than the one asked for is ignored: the sign-in page shows.
        var other = await OrganizationWithConnectionAsync();
        var probe = NewBrowser();
        await probe.FollowAsync(await probe.GetAsync(OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect,
            $"openid organization:{setup.Slug}", OidcClient.NewPkce(), new Dictionary<string, string?> { ["plinto_connection"] = other.ConnectionId })));
        Assert.That(probe.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"));
    }

    [Test]
    public async Task Look_alike_domains_and_accounts_of_other_organizations_are_never_linked()
    {
        // A victim at di….example.test; the attacker verifies dı….example.test (dotless i: its upper case is I, so
        // Identity's normalized e-mail collides, while DNS and IDNA see another domain, xn--….).
        var id = Guid.NewGuid().ToString("N");
        var stem = $"di{id}";
        var lookalikeStem = $"d\u0131{id}";
        var victimEmail = $"victim@{stem}.example.test";
        var victim = await Factory.CreateUserAsync(victimEmail, UniqueUser.Password);
        var slug = AdminApiClient.NewSlug("lookalike");
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, ownerUserId: null);
        var added = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", platform, new { name = $"{lookalikeStem}.example.test" });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{added.GetProperty("id").GetString()}/mark-verified", platform);
        var connection = (await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/saml-connections", platform,
            new { metadataXml = idp.Metadata() })).GetProperty("id").GetString();

        var browser = NewBrowser();
        var start = await browser.GetAsync($"/saml2/{connection}/signin?returnUrl=/");
        var (requestId, acs, sp, relayState) = TestSamlIdp.ReadRequest(browser.RedirectTarget(start));
        var lookalike = idp.Response(requestId, acs, sp, "00u1victim", new Dictionary<string, string[]> { ["email"] = [$"victim@{lookalikeStem}.example.test"] });
        // Whether the runtime folds "ſ" to "S" or not, the victim's account is never the one signed in to: either a
        // separate account for the look-alike address, or a refusal.
        await PostToAcsAsync(browser, acs, lookalike, relayState);

        // A member of another organization, on this organization's verified domain: not linked either.
        var setup = await OrganizationWithConnectionAsync();
        var elsewhere = $"member-{Guid.NewGuid():N}@{setup.Domain}";
        var member = await Factory.CreateUserAsync(elsewhere, UniqueUser.Password);
        await AdminApiClient.AddMemberAsync(api, platform, org, member.Id, "member");
        var (redirect, _) = await StartAsync(NewBrowser(), elsewhere, "openid");
        var second = NewBrowser();
        var begin = await second.GetAsync($"/saml2/{setup.ConnectionId}/signin?returnUrl=/");
        (requestId, acs, sp, relayState) = TestSamlIdp.ReadRequest(second.RedirectTarget(begin));
        var forMember = idp.Response(requestId, acs, sp, "00u1member", new Dictionary<string, string[]> { ["email"] = [elsewhere] });
        Assert.That(second.RedirectTarget(await PostToAcsAsync(second, acs, forMember, relayState)).PathAndQuery, Is.EqualTo(Refused));
        Assert.That(redirect, Is.Not.Null);

        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        Assert.That(db.Set<Plinto.IdentityServer.Federation.Saml.SamlIdentity>().Any(i => i.UserId == victim.Id || i.UserId == member.Id), Is.False);
    }

    [Test]
    public async Task Metadata_is_never_fetched_from_private_addresses()
    {
        var setup = await OrganizationWithConnectionAsync();
        await using var server = new MetadataServer { Document = idp.Metadata() };
        var refused = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{setup.OrganizationId}/saml-connections", platform,
            new { metadataUrl = server.Url }, HttpStatusCode.BadRequest);
        Assert.That(refused.GetProperty("detail").GetString(), Is.EqualTo("The metadata URL could not be fetched."));
    }

    [Test]
    public async Task SP_metadata_and_the_admin_API_describe_the_connection()
    {
        var setup = await OrganizationWithConnectionAsync();
        var metadata = await api.GetStringAsync($"/saml2/{setup.ConnectionId}/metadata");
        Assert.That(metadata, Does.Contain($"entityID=\"https://localhost/saml2/{setup.ConnectionId}\"")
            .And.Contain($"Location=\"https://localhost/saml2/{setup.ConnectionId}/acs\""));
        var view = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{setup.OrganizationId}/saml-connections/{setup.ConnectionId}", platform);
        Assert.Multiple(() =>
        {
            Assert.That(view.GetProperty("idpEntityId").GetString(), Is.EqualTo(TestSamlIdp.EntityId));
            Assert.That(view.GetProperty("certificateThumbprints")[0].GetString(), Is.EqualTo(idp.Certificate.Thumbprint));
            Assert.That(view.GetProperty("assertionConsumerServiceUrl").GetString(), Is.EqualTo($"https://localhost/saml2/{setup.ConnectionId}/acs"));
        });
        var bad = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{setup.OrganizationId}/saml-connections", platform,
            new { metadataXml = "<!DOCTYPE x [<!ENTITY e \"e\">]><x/>" }, HttpStatusCode.BadRequest);
        Assert.That(bad.GetProperty("detail").GetString(), Does.Contain("DOCTYPE"));
        var mapsOwner = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{setup.OrganizationId}/saml-connections", platform,
            new { metadataXml = idp.Metadata(), settings = new { groupRoles = new Dictionary<string, string> { ["Admins"] = "owner" } } }, HttpStatusCode.BadRequest);
        Assert.That(mapsOwner.GetProperty("detail").GetString(), Does.Contain("owner"));
        Assert.That((await api.GetAsync($"/saml2/{Guid.NewGuid()}/metadata")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
