using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Scim;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Scim;

/// <summary>
/// /scim/v2 on SQLite and PostgreSQL, replaying what Okta's SCIM 2.0 test suite and Microsoft's SCIM validator send,
/// plus tenant isolation, tokens, filters, ETags and deactivation.
/// </summary>
internal sealed class ScimProvisioningTests(DatabaseProvider provider) : DatabaseFixture(provider)
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

    /// <summary>A new organization with a verified domain of its own, and a SCIM client with its token.</summary>
    private async Task<ScimOrganization> OrganizationAsync()
    {
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("scim"), ownerUserId: null);
        var domain = await VerifiedDomainAsync(org);
        var created = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/scim-tokens", platform, new { name = "Okta" });
        var token = created.GetProperty("token").GetString()!;
        Assert.That(token, Does.StartWith("scim_"));
        var id = created.GetProperty("details").GetProperty("id").GetString()!;

        // Stored hashed (SHA-256 of the secret); the row keeps a short hint, never the token.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<PlintoDbContext>().Set<ScimToken>().AsNoTracking().SingleAsync(t => t.Id == id);
            Assert.That(row.TokenHash, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))));
            Assert.That(new[] { row.TokenHash, row.Hint, row.Name }, Has.None.Contains(token[row.Hint.Length..]));
        }

        return new ScimOrganization(org, new ScimClient(api, token), id, domain);
    }

    private async Task<string> VerifiedDomainAsync(string organizationId)
    {
        var name = $"d{Guid.NewGuid():N}.example.test";
        var domain = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{organizationId}/domains", platform, new { name });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{organizationId}/domains/{domain.GetProperty("id").GetString()}/mark-verified", platform);
        return name;
    }

    private sealed record ScimOrganization(string Id, ScimClient Scim, string TokenId, string Domain)
    {
        public string Email(string prefix = "scim") => $"{prefix}-{Guid.NewGuid():N}@{Domain}";
    }

    [Test]
    public async Task Okta_test_suite_sequence()
    {
        var organization = await OrganizationAsync();
        var scim = organization.Scim;
        var userName = organization.Email("okta");

        // "Required Test: Test Users endpoint" and the filter for a user that does not exist.
        var page = await scim.GetAsync("/Users?count=1&startIndex=1");
        Assert.That(page["schemas"]![0]!.GetValue<string>(), Is.EqualTo("urn:ietf:params:scim:api:messages:2.0:ListResponse"));
        var none = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString($"userName eq \"{organization.Email("nobody")}\"")}&startIndex=1&count=100");
        Assert.That((none["totalResults"]!.GetValue<int>(), none["Resources"]!.AsArray().Count), Is.EqualTo((0, 0)));

        // Create (with a password), get, find by userName (any case), duplicate.
        var created = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(userName, password: "Okta-Provisioned-Passphrase-1"), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.That(created["meta"]!["location"]!.GetValue<string>(), Does.EndWith($"/scim/v2/Users/{id}"));
        Assert.That(created.ContainsKey("password"), Is.False, "passwords are never returned");
        var fetched = await scim.GetAsync($"/Users/{id}");
        Assert.That(fetched["userName"]!.GetValue<string>(), Is.EqualTo(userName));
        var found = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString($"userName eq \"{userName.ToUpperInvariant()}\"")}");
        Assert.That(found["totalResults"]!.GetValue<int>(), Is.EqualTo(1), "userName is case-insensitive");
        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(userName), HttpStatusCode.Conflict, "uniqueness");

        // PUT full replace, then Okta's deactivation by a path-less PATCH.
        var replaced = await scim.ExpectAsync(HttpMethod.Put, $"/Users/{id}", ScimClient.UserJson(userName, given: "Babs"), HttpStatusCode.OK);
        Assert.That(replaced["name"]!["givenName"]!.GetValue<string>(), Is.EqualTo("Babs"));
        var deactivated = await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{id}",
            """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""", HttpStatusCode.OK);
        Assert.That(deactivated["active"]!.GetValue<bool>(), Is.False);

        await scim.ExpectErrorAsync(HttpMethod.Get, $"/Users/{Guid.NewGuid()}", null, HttpStatusCode.NotFound, null);
    }

    [Test]
    public async Task Microsoft_scim_validator_sequence_with_users_groups_and_the_Entra_dialect()
    {
        var organization = await OrganizationAsync();
        var (org, scim) = (organization.Id, organization.Scim);
        var userName = organization.Email("entra");
        var externalId = Guid.NewGuid().ToString();
        await scim.GetAsync($"/Users?filter={Uri.EscapeDataString($"userName eq \"{organization.Email("absent")}\"")}");

        var user = await scim.ExpectAsync(HttpMethod.Post, "/Users", $$"""
            {
              "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
              "externalId": "{{externalId}}",
              "userName": "{{userName}}",
              "active": true,
              "displayName": "Ada Lovelace",
              "emails": [ { "primary": true, "type": "work", "value": "{{userName}}" } ],
              "name": { "formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada" },
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "employeeNumber": "1815", "department": "Analytical Engines" }
            }
            """, HttpStatusCode.Created);
        var id = user["id"]!.GetValue<string>();
        var byExternalId = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString($"externalId eq \"{externalId}\"")}");
        Assert.That(byExternalId["Resources"]![0]!["id"]!.GetValue<string>(), Is.EqualTo(id));
        var wrongCase = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString($"externalId eq \"{externalId.ToUpperInvariant()}\"")}");
        Assert.That(wrongCase["totalResults"]!.GetValue<int>(), Is.EqualTo(0), "externalId is case-exact");

        var patched = await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{id}", """
            {
              "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
              "Operations": [
                { "op": "Replace", "path": "displayName", "value": "Countess of Lovelace" },
                { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+44 20 0000 1815" },
                { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Mathematics" },
                { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "babbage" },
                { "op": "Replace", "value": { "name.familyName": "King" } }
              ]
            }
            """, HttpStatusCode.OK);
        Assert.Multiple(() =>
        {
            Assert.That(patched["displayName"]!.GetValue<string>(), Is.EqualTo("Countess of Lovelace"));
            Assert.That(patched["phoneNumbers"]![0]!["value"]!.GetValue<string>(), Is.EqualTo("+44 20 0000 1815"));
            Assert.That(patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["department"]!.GetValue<string>(), Is.EqualTo("Mathematics"));
            Assert.That(patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["manager"]!["value"]!.GetValue<string>(), Is.EqualTo("babbage"));
            Assert.That(patched["name"]!["familyName"]!.GetValue<string>(), Is.EqualTo("King"));
        });

        // Groups: create, find by displayName without members, add and remove a member, rename, delete.
        var groupName = $"Engineers {Guid.NewGuid():N}"[..20];
        var group = await scim.ExpectAsync(HttpMethod.Post, "/Groups", $$"""
            { "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "{{Guid.NewGuid()}}", "displayName": "{{groupName}}", "members": [] }
            """, HttpStatusCode.Created);
        var groupId = group["id"]!.GetValue<string>();
        var listed = await scim.GetAsync($"/Groups?excludedAttributes=members&filter={Uri.EscapeDataString($"displayName eq \"{groupName}\"")}");
        Assert.That(listed["Resources"]![0]!.AsObject().ContainsKey("members"), Is.False);
        await scim.ExpectAsync(HttpMethod.Patch, $"/Groups/{groupId}", $$"""
            { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "Add", "path": "members", "value": [ { "value": "{{id}}" } ] } ] }
            """, HttpStatusCode.NoContent);
        var withMember = await scim.GetAsync($"/Groups/{groupId}");
        Assert.That(withMember["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()), Is.EqualTo(new[] { id }));
        var memberOf = await scim.GetAsync($"/Groups?filter={Uri.EscapeDataString($"members[value eq \"{id}\"]")}");
        Assert.That(memberOf["totalResults"]!.GetValue<int>(), Is.EqualTo(1));
        var userGroups = await scim.GetAsync($"/Users/{id}");
        Assert.That(userGroups["groups"]![0]!["value"]!.GetValue<string>(), Is.EqualTo(groupId));

        // The group is a role: it reaches the member's organization claims.
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(members.EnumerateArray().Single().GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Does.Contain("scim:" + groupName.ToLowerInvariant().Replace(' ', '-')));

        await scim.ExpectAsync(HttpMethod.Patch, $"/Groups/{groupId}", $$"""
            { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
              { "op": "Remove", "path": "members", "value": [ { "value": "{{id}}" } ] },
              { "op": "Replace", "path": "displayName", "value": "{{groupName}} renamed" } ] }
            """, HttpStatusCode.NoContent);
        var renamed = await scim.GetAsync($"/Groups/{groupId}");
        Assert.That((renamed["displayName"]!.GetValue<string>(), renamed["members"]!.AsArray().Count), Is.EqualTo(($"{groupName} renamed", 0)));
        await scim.ExpectAsync(HttpMethod.Delete, $"/Groups/{groupId}", null, HttpStatusCode.NoContent);
        await scim.ExpectErrorAsync(HttpMethod.Get, $"/Groups/{groupId}", null, HttpStatusCode.NotFound, null);

        await scim.ExpectAsync(HttpMethod.Delete, $"/Users/{id}", null, HttpStatusCode.NoContent);
        await scim.ExpectErrorAsync(HttpMethod.Get, $"/Users/{id}", null, HttpStatusCode.NotFound, null);
    }

    [Test]
    public async Task Bad_tokens_bad_filters_and_bad_bodies_get_SCIM_errors()
    {
        var organization = await OrganizationAsync();
        var (org, scim, tokenId) = (organization.Id, organization.Scim, organization.TokenId);
        var anonymous = new ScimClient(api, "scim_not-a-real-token");
        var unauthorized = await anonymous.ExpectAsync(HttpMethod.Get, "/Users", null, HttpStatusCode.Unauthorized);
        Assert.That(unauthorized["status"]!.GetValue<string>(), Is.EqualTo("401"));

        await scim.ExpectErrorAsync(HttpMethod.Get, $"/Users?filter={Uri.EscapeDataString("userName eq")}", null, HttpStatusCode.BadRequest, "invalidFilter");
        await scim.ExpectErrorAsync(HttpMethod.Get, $"/Users?filter={Uri.EscapeDataString("favouriteColour eq \"blue\"")}", null, HttpStatusCode.BadRequest, "invalidFilter");
        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", "{ not json", HttpStatusCode.BadRequest, "invalidSyntax");
        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", """{ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 5 }""",
            HttpStatusCode.BadRequest, "invalidValue");
        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", """{ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "not-an-address" }""",
            HttpStatusCode.BadRequest, "invalidValue");
        // Only addresses on the organization's verified domains are provisioned.
        await scim.ExpectErrorAsync(HttpMethod.Post, "/Users", ScimClient.UserJson($"someone-{Guid.NewGuid():N}@unverified.test"), HttpStatusCode.BadRequest, "invalidValue");
        var created = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(organization.Email()), HttpStatusCode.Created);
        await scim.ExpectErrorAsync(HttpMethod.Patch, $"/Users/{created["id"]}",
            """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "path": "id", "value": "mine" } ] }""",
            HttpStatusCode.BadRequest, "mutability");

        // A revoked token stops at once; the token list shows when it was last used.
        var tokens = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/scim-tokens", platform);
        Assert.That(tokens.EnumerateArray().Single().GetProperty("lastUsedAt").ValueKind, Is.Not.EqualTo(System.Text.Json.JsonValueKind.Null));
        await AdminApiClient.ExpectAsync(api, HttpMethod.Delete, $"/api/organizations/{org}/scim-tokens/{tokenId}", platform, expected: HttpStatusCode.NoContent);
        await scim.ExpectAsync(HttpMethod.Get, "/Users", null, HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task A_token_of_one_organization_never_sees_or_changes_another_organizations_users_or_groups()
    {
        var myOrganization = await OrganizationAsync();
        var theirOrganization = await OrganizationAsync();
        var (mine, theirs) = (myOrganization.Scim, theirOrganization.Scim);
        var theirUser = (await theirs.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(theirOrganization.Email("theirs")), HttpStatusCode.Created))["id"]!.GetValue<string>();
        var theirGroup = (await theirs.ExpectAsync(HttpMethod.Post, "/Groups",
            """{ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Theirs" }""", HttpStatusCode.Created))["id"]!.GetValue<string>();
        var patch = """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "value": { "active": false } } ] }""";

        Assert.That((await mine.GetAsync("/Users"))["totalResults"]!.GetValue<int>(), Is.EqualTo(0));
        Assert.That((await mine.GetAsync($"/Users?filter={Uri.EscapeDataString($"id eq \"{theirUser}\"")}"))["totalResults"]!.GetValue<int>(), Is.EqualTo(0));
        Assert.That((await mine.GetAsync("/Groups"))["totalResults"]!.GetValue<int>(), Is.EqualTo(0));
        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, $"/Users/{theirUser}", null),
            (HttpMethod.Put, $"/Users/{theirUser}", ScimClient.UserJson(myOrganization.Email("stolen"))),
            (HttpMethod.Patch, $"/Users/{theirUser}", patch),
            (HttpMethod.Delete, $"/Users/{theirUser}", null),
            (HttpMethod.Get, $"/Groups/{theirGroup}", null),
            (HttpMethod.Put, $"/Groups/{theirGroup}", """{ "displayName": "Stolen" }"""),
            (HttpMethod.Patch, $"/Groups/{theirGroup}", """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "path": "displayName", "value": "x" } ] }"""),
            (HttpMethod.Delete, $"/Groups/{theirGroup}", null),
        })
        {
            await mine.ExpectErrorAsync(method, path, body, HttpStatusCode.NotFound, null);
        }

        // Adding another organization's user to one's own group is refused too.
        var myGroup = (await mine.ExpectAsync(HttpMethod.Post, "/Groups",
            """{ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Mine" }""", HttpStatusCode.Created))["id"]!.GetValue<string>();
        await mine.ExpectErrorAsync(HttpMethod.Patch, $"/Groups/{myGroup}",
            $$"""{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "add", "path": "members", "value": [ { "value": "{{theirUser}}" } ] } ] }""",
            HttpStatusCode.BadRequest, "invalidValue");

        var stillThere = await theirs.GetAsync($"/Users/{theirUser}");
        Assert.That(stillThere["active"]!.GetValue<bool>(), Is.True);
        Assert.That((await theirs.GetAsync($"/Groups/{theirGroup}"))["displayName"]!.GetValue<string>(), Is.EqualTo("Theirs"));
    }

    [Test]
    public async Task Value_path_filters_etags_and_sorting()
    {
        var organization = await OrganizationAsync();
        var scim = organization.Scim;
        var anna = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(organization.Email("anna"), given: "Anna", family: "Zed"), HttpStatusCode.Created);
        await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(organization.Email("bob"), given: "Bob", family: "Young"), HttpStatusCode.Created);

        var work = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString("emails[type eq \"work\" and value sw \"anna-\"]")}");
        Assert.That(work["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()), Is.EqualTo(new[] { anna["id"]!.GetValue<string>() }));
        var either = await scim.GetAsync($"/Users?filter={Uri.EscapeDataString("name.givenName sw \"an\" or (name.familyName eq \"YOUNG\" and active eq true)")}&sortBy=name.familyName&sortOrder=descending");
        Assert.That(either["Resources"]!.AsArray().Select(r => r!["name"]!["familyName"]!.GetValue<string>()), Is.EqualTo(new[] { "Zed", "Young" }));
        var projected = await scim.GetAsync($"/Users/{anna["id"]}?attributes=userName");
        Assert.That(projected.Select(p => p.Key), Is.EquivalentTo(new[] { "schemas", "id", "userName" }));

        // If-Match: a stale version is refused with 412; the current one (from the ETag header) is accepted.
        var (_, _, response) = await scim.SendAsync(HttpMethod.Get, $"/Users/{anna["id"]}");
        var etag = response.Headers.ETag!.ToString();
        Assert.That(etag, Is.EqualTo(anna["meta"]!["version"]!.GetValue<string>()));
        var patch = """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "path": "title", "value": "Engineer" } ] }""";
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{anna["id"]}", patch, HttpStatusCode.OK, etag);
        await scim.ExpectErrorAsync(HttpMethod.Patch, $"/Users/{anna["id"]}", patch, HttpStatusCode.PreconditionFailed, null, etag);
    }

    [Test]
    public async Task Deactivation_ends_the_accounts_sessions_and_refresh_tokens()
    {
        var organization = await OrganizationAsync();
        var scim = organization.Scim;
        var email = organization.Email("leaver");
        var user = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson(email, password: UniqueUser.Password), HttpStatusCode.Created);

        // Provisioned with a password on a verified domain: the person can sign in and an app gets a refresh token.
        var browser = NewBrowser();
        var tokens = await WebClientTokensAsync(browser, "openid offline_access", email);
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{user["id"]}",
            """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "Replace", "path": "active", "value": "False" } ] }""", HttpStatusCode.OK);

        var refresh = await OidcClient.RefreshAsync(api, tokens.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(refresh.Error, Is.EqualTo("invalid_grant"));
        var (_, message) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(message, Is.Not.Empty, "a deactivated account cannot sign in");
        var response = await browser.GetAsync("/account/manage");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the existing browser session ended");

        // Reactivated, the account works again.
        await scim.ExpectAsync(HttpMethod.Patch, $"/Users/{user["id"]}",
            """{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "replace", "value": { "active": true } } ] }""", HttpStatusCode.OK);
        var (_, again) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(again, Is.Empty);
    }

    [Test]
    public async Task Discovery_endpoints_describe_what_is_supported()
    {
        var scim = (await OrganizationAsync()).Scim;
        var config = await scim.GetAsync("/ServiceProviderConfig");
        Assert.Multiple(() =>
        {
            Assert.That(config["patch"]!["supported"]!.GetValue<bool>(), Is.True);
            Assert.That(config["filter"]!["maxResults"]!.GetValue<int>(), Is.EqualTo(200));
            Assert.That(config["etag"]!["supported"]!.GetValue<bool>(), Is.True);
            Assert.That(config["bulk"]!["supported"]!.GetValue<bool>(), Is.False);
        });
        var schemas = await scim.GetAsync("/Schemas");
        Assert.That(schemas["Resources"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()), Is.EquivalentTo(new[]
        {
            "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group",
        }));
        var userSchema = await scim.GetAsync("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
        Assert.That(userSchema["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "userName")!["uniqueness"]!.GetValue<string>(), Is.EqualTo("server"));
        var types = await scim.GetAsync("/ResourceTypes");
        Assert.That(types["Resources"]!.AsArray().Select(t => t!["endpoint"]!.GetValue<string>()), Is.EqualTo(new[] { "/Users", "/Groups" }));
    }
}
