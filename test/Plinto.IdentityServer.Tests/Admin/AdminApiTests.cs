using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Admin;

/// <summary>
/// The organization admin API: tenant isolation on every endpoint, permissions, the last-owner rule, token checks,
/// audit entries written (or not) with their change, and the OpenAPI description.
/// </summary>
internal sealed class AdminApiTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
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
    public async Task A_token_for_organization_A_reaches_nothing_of_organization_B_through_any_endpoint()
    {
        // The strongest case: the caller owns A and is also a plain member of B.
        var (ownerEmail, owner) = await UserAsync();
        var (_, ownerB) = await UserAsync();
        var (_, memberB) = await UserAsync();
        var slugA = AdminApiClient.NewSlug("a");
        var orgA = await AdminApiClient.CreateOrganizationAsync(api, platform, slugA, owner.Id);
        var orgB = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("b"), ownerB.Id, name: "Bravo");
        await AdminApiClient.AddMemberAsync(api, platform, orgB, owner.Id, "member");
        await AdminApiClient.AddMemberAsync(api, platform, orgB, memberB.Id, "member");
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/permissions", platform, new { name = "b:perm" });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{orgB}/roles/b-role", platform, new { permissions = new[] { "b:perm" } });
        var invitation = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/invitations", platform,
            new { email = UniqueUser.Email("invitee"), role = "member" });
        var domain = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/domains", platform, new { name = "bravo.example" });
        var scimToken = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/scim-tokens", platform, new { name = "Okta" });
        var samlConnection = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{orgB}/saml-connections", platform,
            new { metadataXml = new TestSamlIdp().Metadata() });
        var before = await SnapshotAsync(orgB);

        var token = await OrganizationAdminTokenAsync(ownerEmail, slugA);
        var routes = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/organizations/{organizationId}", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        Assert.That(routes, Has.Count.GreaterThanOrEqualTo(20), "every organization endpoint is enumerated");

        var body = new
        {
            name = "renamed", slug = AdminApiClient.NewSlug("stolen"), requireMfa = true, userId = memberB.Id, roles = new[] { "owner" },
            permissions = new[] { "b:perm" }, email = UniqueUser.Email("intruder"), role = "member", description = "x",
        };
        foreach (var (method, pattern) in routes)
        {
            var path = pattern.Replace("{organizationId}", orgB, StringComparison.Ordinal)
                .Replace("{userId}", memberB.Id, StringComparison.Ordinal)
                .Replace("{name}", pattern.Contains("/permissions/", StringComparison.Ordinal) ? "b:perm" : "b-role", StringComparison.Ordinal)
                .Replace("{invitationId}", invitation.GetProperty("id").GetString(), StringComparison.Ordinal)
                .Replace("{domainId}", domain.GetProperty("id").GetString(), StringComparison.Ordinal)
                .Replace("{tokenId}", scimToken.GetProperty("details").GetProperty("id").GetString(), StringComparison.Ordinal)
                .Replace("{connectionId}", samlConnection.GetProperty("id").GetString(), StringComparison.Ordinal);
            var (status, json) = await AdminApiClient.SendAsync(api, new HttpMethod(method), path, token, method is "GET" or "DELETE" ? null : body);
            Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), $"{method} {pattern}: {json}");
        }

        Assert.That(await SnapshotAsync(orgB), Is.EqualTo(before), "organization B is unchanged");
        var listed = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, "/api/organizations", token);
        Assert.That(listed.EnumerateArray().Select(o => o.GetProperty("id").GetString()), Is.EqualTo(new[] { orgA }));
    }

    [Test]
    public async Task Members_act_only_within_their_permissions_and_nobody_grants_more_than_they_hold()
    {
        var (ownerEmail, owner) = await UserAsync();
        var (adminEmail, admin) = await UserAsync();
        var (memberEmail, member) = await UserAsync();
        var slug = AdminApiClient.NewSlug();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        await AdminApiClient.AddMemberAsync(api, platform, org, admin.Id, "admin");
        await AdminApiClient.AddMemberAsync(api, platform, org, member.Id, "member");

        var asMember = await OrganizationAdminTokenAsync(memberEmail, slug);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", asMember);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{admin.Id}/roles", asMember,
            new { roles = new[] { "member" } }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", asMember,
            new { email = UniqueUser.Email() }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{org}", asMember, new { name = "Mine now" }, HttpStatusCode.Forbidden);
        // Self-service is off here: only platform administrators create organizations.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", asMember,
            new { name = "Side project", slug = AdminApiClient.NewSlug() }, HttpStatusCode.Forbidden);

        var asAdmin = await OrganizationAdminTokenAsync(adminEmail, slug);
        var problem = await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{member.Id}/roles", asAdmin,
            new { roles = new[] { "owner" } }, HttpStatusCode.Forbidden);
        Assert.That(problem.GetProperty("error").GetString(), Is.EqualTo("forbidden"));
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{owner.Id}/roles", asAdmin,
            new { roles = new[] { "admin" } }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/members/{owner.Id}", asAdmin, expected: HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/invitations", asAdmin,
            new { email = UniqueUser.Email(), role = "owner" }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/superuser", asAdmin,
            new { permissions = new[] { "org:delete" } }, HttpStatusCode.BadRequest);
        // Whoever controls the IdP can sign in as linked members: SAML connections are the owners' alone.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/saml-connections", asAdmin,
            new { metadataXml = new TestSamlIdp().Metadata() }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/sso-admins", platform,
            new { permissions = new[] { "org:sso:manage" } }, HttpStatusCode.BadRequest);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/members", asAdmin,
            new { userId = (await UserAsync()).User.Id }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}", asAdmin, expected: HttpStatusCode.Forbidden);

        // Within their permissions, admins manage members and roles.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/permissions", asAdmin, new { name = "reports:read" });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/analyst", asAdmin,
            new { description = "Reads reports", permissions = new[] { "reports:read", "org:read" } });
        var updated = await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{member.Id}/roles", asAdmin,
            new { roles = new[] { "member", "analyst" } });
        Assert.That(updated.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "analyst", "member" }));
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/roles/analyst", asAdmin, expected: HttpStatusCode.Conflict);

        // Anyone may leave.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/members/{member.Id}", asMember, expected: HttpStatusCode.NoContent);
    }

    [Test]
    public async Task The_last_owner_can_neither_leave_nor_be_demoted_and_a_refused_change_leaves_no_trace()
    {
        var (ownerEmail, owner) = await UserAsync();
        var (_, second) = await UserAsync();
        var slug = AdminApiClient.NewSlug();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        var token = await OrganizationAdminTokenAsync(ownerEmail, slug);
        var auditBefore = await AuditCountAsync(org);

        var leave = await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/members/{owner.Id}", token, expected: HttpStatusCode.Conflict);
        Assert.That(leave.GetProperty("error").GetString(), Is.EqualTo("last_owner"));
        var demote = await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{owner.Id}/roles", token,
            new { roles = new[] { "admin" } }, HttpStatusCode.Conflict);
        Assert.That(demote.GetProperty("error").GetString(), Is.EqualTo("last_owner"));
        var byPlatform = await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/members/{owner.Id}", platform, expected: HttpStatusCode.Conflict);
        Assert.That(byPlatform.GetProperty("error").GetString(), Is.EqualTo("last_owner"));

        Assert.That(await AuditCountAsync(org), Is.EqualTo(auditBefore), "refused changes write no audit entry");
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", token);
        Assert.That(members.EnumerateArray().Single().GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "owner" }));

        // With a second owner, the first may step down.
        await AdminApiClient.AddMemberAsync(api, platform, org, second.Id, "owner");
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{owner.Id}/roles", token, new { roles = new[] { "admin" } });
        Assert.That(await AuditCountAsync(org), Is.EqualTo(auditBefore + 2));
    }

    [Test]
    public async Task Tokens_without_the_admin_audience_or_authority_are_refused()
    {
        var anonymous = await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", token: null);
        Assert.That(anonymous.Status, Is.EqualTo(HttpStatusCode.Unauthorized));

        // A token for another API (audience https://api.test) is not an admin token.
        var other = await OidcClient.TokenAsync(api, PlintoFactory.MachineClientId, PlintoFactory.MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = PlintoFactory.ApiScope });
        Assert.That((await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", other.Get("access_token"))).Status,
            Is.EqualTo(HttpStatusCode.Unauthorized));

        // plinto:admin from a user who is not a platform administrator, and plinto:org:admin without an organization.
        var (email, user) = await UserAsync();
        var browser = NewBrowser();
        var notAdmin = await WebClientTokensAsync(browser, "openid plinto:admin plinto:org:admin", email);
        var refused = await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", notAdmin.Get("access_token"));
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden), refused.Json.ToString());

        // The same user made a platform administrator: every organization.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            if (!await roles.RoleExistsAsync(AdminBootstrapService.AdminRole))
            {
                await roles.CreateAsync(new IdentityRole(AdminBootstrapService.AdminRole));
            }

            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            await users.AddToRoleAsync((await users.FindByIdAsync(user.Id))!, AdminBootstrapService.AdminRole);
        }

        var someone = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), ownerUserId: null);
        var listed = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, "/api/organizations", notAdmin.Get("access_token"));
        Assert.That(listed.EnumerateArray().Select(o => o.GetProperty("id").GetString()), Does.Contain(someone));
    }

    [Test]
    public async Task A_client_token_stops_administering_when_its_client_loses_the_admin_scope()
    {
        // A client_credentials token has no row to revoke: the client's state is checked at every call instead, as an
        // account's is. Disabling a client (the catalog clears its permissions) or taking plinto:admin from it must end
        // what its unexpired tokens can do.
        Assert.That((await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", platform)).Status, Is.EqualTo(HttpStatusCode.OK));
        await ChangeAutomationClientAsync(descriptor => descriptor.Permissions.Remove(OpenIddictConstants.Permissions.Prefixes.Scope + "plinto:admin"));
        try
        {
            var refused = await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", platform);
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden), refused.Json.ToString());
            var creation = await AdminApiClient.SendAsync(api, HttpMethod.Post, "/api/organizations", platform, new { slug = AdminApiClient.NewSlug(), name = "Refused" });
            Assert.That(creation.Status, Is.EqualTo(HttpStatusCode.Forbidden), creation.Json.ToString());

            await ChangeAutomationClientAsync(descriptor => descriptor.Permissions.Clear());
            Assert.That((await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", platform)).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        }
        finally
        {
            await ChangeAutomationClientAsync(descriptor => descriptor.Permissions.UnionWith(automationPermissions!));
        }

        Assert.That((await AdminApiClient.SendAsync(api, HttpMethod.Get, "/api/organizations", platform)).Status, Is.EqualTo(HttpStatusCode.OK),
            "allowed again once the client is");
    }

    [Test]
    public async Task Someone_elses_wrong_passwords_do_not_end_an_administrators_token_but_a_deactivation_does()
    {
        // A temporary lockout stops guessing; anyone who knows the address can cause it, so it must not take the
        // account's administration away. A deactivation (SCIM active=false) must.
        var (ownerEmail, owner) = await UserAsync();
        var slug = AdminApiClient.NewSlug();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        var asOwner = await OrganizationAdminTokenAsync(ownerEmail, slug);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", asOwner);

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var account = (await users.FindByIdAsync(owner.Id))!;
            for (var i = 0; i < 5; i++)
            {
                await users.AccessFailedAsync(account);
            }

            Assert.That(await users.IsLockedOutAsync(account), Is.True, "five failures lock the account");
        }

        await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", asOwner);

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            await users.DeactivateAsync((await users.FindByIdAsync(owner.Id))!);
        }

        var refused = await AdminApiClient.SendAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", asOwner);
        Assert.That((int)refused.Status, Is.AnyOf(401, 403), refused.Json.ToString());
    }

    private HashSet<string>? automationPermissions;

    private async Task ChangeAutomationClientAsync(Action<OpenIddictApplicationDescriptor> change)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        // By id: the tracked row (a lookup by client id may be the client cache's detached copy).
        var cached = await applications.FindByClientIdAsync(PlintoFactory.AutomationClientId)
            ?? throw new InvalidOperationException("the automation client is missing");
        var client = (await applications.FindByIdAsync((await applications.GetIdAsync(cached))!))!;
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, client);
        automationPermissions ??= [.. descriptor.Permissions];
        change(descriptor);
        await applications.UpdateAsync(client, descriptor);
    }

    [Test]
    public async Task Bad_input_gets_a_specific_problem_and_duplicates_a_conflict()
    {
        var slug = AdminApiClient.NewSlug();
        await AdminApiClient.CreateOrganizationAsync(api, platform, slug, ownerUserId: null);
        var duplicate = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", platform, new { name = "Again", slug }, HttpStatusCode.Conflict);
        var badSlug = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", platform, new { name = "Bad", slug = "Not A Slug" }, HttpStatusCode.BadRequest);
        var noName = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", platform, new { slug = AdminApiClient.NewSlug() }, HttpStatusCode.BadRequest);
        Assert.Multiple(() =>
        {
            Assert.That(duplicate.GetProperty("detail").GetString(), Does.Contain(slug));
            Assert.That(badSlug.GetProperty("detail").GetString(), Does.Contain("slug"));
            Assert.That(noName.GetProperty("detail").GetString(), Does.Contain("name"));
            Assert.That(badSlug.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task A_renamed_organizations_old_slug_is_never_given_to_another_organization()
    {
        var (first, second) = (AdminApiClient.NewSlug("old"), AdminApiClient.NewSlug("new"));
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, first, ownerUserId: null);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{org}", platform, new { slug = second });

        var squat = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", platform, new { name = "Squatter", slug = first }, HttpStatusCode.Conflict);
        Assert.That(squat.GetProperty("detail").GetString(), Does.Contain(first));
        var other = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), ownerUserId: null);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{other}", platform, new { slug = first }, HttpStatusCode.Conflict);

        // The organization itself may take its old slug back; then the other one is kept for it.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{org}", platform, new { slug = first });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{other}", platform, new { slug = second }, HttpStatusCode.Conflict);

        // Deleting keeps the slug out of circulation too.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}", platform, expected: HttpStatusCode.NoContent);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, "/api/organizations", platform, new { name = "Late", slug = first }, HttpStatusCode.Conflict);
    }

    [Test]
    public async Task Changing_a_role_needs_every_permission_it_gains_or_loses_and_member_management_when_people_hold_it()
    {
        var (_, owner) = await UserAsync();
        var (managerEmail, manager) = await UserAsync();
        var (_, auditor) = await UserAsync();
        var slug = AdminApiClient.NewSlug();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/role-manager", platform,
            new { permissions = new[] { "org:read", "org:roles:manage" } });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/auditor", platform,
            new { permissions = new[] { "org:read", "org:audit:read" } });
        await AdminApiClient.AddMemberAsync(api, platform, org, manager.Id, "role-manager");
        await AdminApiClient.AddMemberAsync(api, platform, org, auditor.Id, "auditor");
        var token = await OrganizationAdminTokenAsync(managerEmail, slug);

        // Taking org:audit:read away from auditors would be a demotion the manager has no right to.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/auditor", token,
            new { permissions = new[] { "org:read" } }, HttpStatusCode.Forbidden);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/viewer", token, new { permissions = new[] { "org:read" } });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/viewer", token,
            new { permissions = new[] { "org:read", "org:update" } }, HttpStatusCode.Forbidden);

        // Once someone holds the role, changing it changes what they can do: that needs org:members:manage.
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/members/{auditor.Id}/roles", platform,
            new { roles = new[] { "auditor", "viewer" } });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/viewer", token,
            new { description = "Sees things", permissions = new[] { "org:read" } }, HttpStatusCode.Forbidden);
        var roles = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/roles", platform);
        Assert.That(roles.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "auditor").GetProperty("permissions").EnumerateArray()
            .Select(p => p.GetString()), Is.EqualTo(new[] { "org:read", "org:audit:read" }));
    }

    [Test]
    public async Task A_member_whose_roles_grant_no_permission_can_still_leave()
    {
        var (_, owner) = await UserAsync();
        var (email, member) = await UserAsync();
        var slug = AdminApiClient.NewSlug();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, slug, owner.Id);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Put, $"/api/organizations/{org}/roles/plain", platform, new { permissions = Array.Empty<string>() });
        await AdminApiClient.AddMemberAsync(api, platform, org, member.Id, "plain");
        var token = await OrganizationAdminTokenAsync(email, slug);

        await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", token, expected: HttpStatusCode.NotFound);
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/members/{member.Id}", token, expected: HttpStatusCode.NoContent);
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(members.EnumerateArray().Select(m => m.GetProperty("userId").GetString()), Does.Not.Contain(member.Id));
    }

    [Test]
    public async Task Member_lists_come_a_page_at_a_time_in_a_stable_order()
    {
        var (_, owner) = await UserAsync();
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug(), owner.Id);
        for (var i = 0; i < 4; i++)
        {
            await AdminApiClient.AddMemberAsync(api, platform, org, (await UserAsync()).User.Id, "member");
        }

        var all = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform)).EnumerateArray()
            .Select(m => m.GetProperty("userId").GetString()).ToList();
        var first = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members?limit=2", platform)).EnumerateArray()
            .Select(m => m.GetProperty("userId").GetString());
        var rest = (await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members?offset=2&limit=500", platform)).EnumerateArray()
            .Select(m => m.GetProperty("userId").GetString());
        Assert.That(all, Has.Count.EqualTo(5));
        Assert.That(first.Concat(rest), Is.EqualTo(all));
    }

    [Test]
    public async Task The_OpenAPI_document_describes_every_admin_endpoint()
    {
        var document = JsonDocument.Parse(await api.GetStringAsync("/openapi/admin.json")).RootElement;
        var paths = document.GetProperty("paths").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        var routes = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/organizations", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m.ToLowerInvariant(), Path: e.RoutePattern.RawText!.TrimEnd('/'))))
            .ToList();
        Assert.That(routes, Has.Count.GreaterThanOrEqualTo(24));
        foreach (var (method, path) in routes)
        {
            Assert.That(paths.TryGetValue(path, out var item) && item.TryGetProperty(method, out _), Is.True, $"{method} {path} is documented");
        }

        Assert.That(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _), Is.True);
    }

    private async Task<(string Email, PlintoUser User)> UserAsync()
    {
        var email = UniqueUser.Email();
        return (email, await Factory.CreateUserAsync(email, UniqueUser.Password));
    }

    /// <summary>An access token for the admin API, issued for one organization (sign-in through the hosted page).</summary>
    private async Task<string> OrganizationAdminTokenAsync(string email, string slug) =>
        (await WebClientTokensAsync(NewBrowser(), $"openid organization:{slug} plinto:org:admin", email)).Get("access_token");

    private async Task<string> SnapshotAsync(string organizationId)
    {
        var parts = new List<string>();
        foreach (var section in new[] { "", "/members", "/roles", "/permissions", "/invitations", "/domains", "/scim-tokens", "/saml-connections" })
        {
            parts.Add((await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{organizationId}{section}", platform)).ToString());
        }

        return string.Join("\n", parts);
    }

    private async Task<int> AuditCountAsync(string organizationId)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        return db.Set<AuditEntry>().Count(e => e.OrganizationId == organizationId);
    }
}
