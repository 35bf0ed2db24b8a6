using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.IdentityServer.Scim;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Scim;

/// <summary>SCIM at size: 5,000 users paged through, a group of thousands changed one member at a time, and the DELETE policy.</summary>
internal sealed class ScimScaleTests(DatabaseProvider provider) : DatabaseFixture(provider)
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
    public async Task Five_thousand_users_page_through_in_order_and_count_is_capped()
    {
        var (org, scim) = await OrganizationAsync();
        await SeedUsersAsync(org, 5000);

        var seen = new List<string>();
        for (var start = 1; ; start += 200)
        {
            var page = await scim.GetAsync($"/Users?startIndex={start}&count=500&attributes=userName");
            Assert.That(page["totalResults"]!.GetValue<int>(), Is.EqualTo(5000));
            var items = page["Resources"]!.AsArray();
            Assert.That(items, Has.Count.LessThanOrEqualTo(200), "count is capped at 200");
            if (items.Count == 0)
            {
                break;
            }

            Assert.That(page["startIndex"]!.GetValue<int>(), Is.EqualTo(start));
            seen.AddRange(items.Select(i => i!["userName"]!.GetValue<string>()));
        }

        Assert.That(seen, Has.Count.EqualTo(5000));
        Assert.That(seen, Is.Unique);
        Assert.That(seen, Is.Ordered.Using((IComparer<string>)StringComparer.OrdinalIgnoreCase));
        var onlyTotal = await scim.GetAsync("/Users?count=0");
        Assert.That((onlyTotal["totalResults"]!.GetValue<int>(), onlyTotal["Resources"]!.AsArray().Count), Is.EqualTo((5000, 0)));
    }

    [Test]
    public async Task A_group_of_thousands_changes_one_member_at_a_time()
    {
        var (org, scim) = await OrganizationAsync();
        var ids = await SeedUsersAsync(org, 2000);
        var group = await scim.ExpectAsync(HttpMethod.Post, "/Groups", """{ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone" }""",
            HttpStatusCode.Created);
        var groupId = group["id"]!.GetValue<string>();
        var members = string.Join(",", ids.Take(1999).Select(id => $$"""{ "value": "{{id}}" }"""));
        await scim.ExpectAsync(HttpMethod.Patch, $"/Groups/{groupId}",
            $$"""{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [ { "op": "add", "path": "members", "value": [ {{members}} ] } ] }""",
            HttpStatusCode.NoContent);

        // One more and one fewer: 204 without the member list, and the counts are exact.
        await scim.ExpectAsync(HttpMethod.Patch, $"/Groups/{groupId}", $$"""
            { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
              { "op": "add", "path": "members", "value": [ { "value": "{{ids[1999]}}" } ] },
              { "op": "remove", "path": "members[value eq \"{{ids[0]}}\"]" } ] }
            """, HttpStatusCode.NoContent);
        var full = await scim.GetAsync($"/Groups/{groupId}");
        var values = full["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()).ToList();
        Assert.That(values, Has.Count.EqualTo(1999));
        Assert.That(values, Does.Contain(ids[1999]).And.Not.Contain(ids[0]));
    }

    [Test]
    public async Task Delete_removes_or_deactivates_as_the_organization_chooses()
    {
        var (org, scim) = await OrganizationAsync();
        var removed = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson($"removed-{Guid.NewGuid():N}@{domain}"), HttpStatusCode.Created);
        await scim.ExpectAsync(HttpMethod.Delete, $"/Users/{removed["id"]}", null, HttpStatusCode.NoContent);
        var members = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/members", platform);
        Assert.That(members.EnumerateArray().Select(m => m.GetProperty("userId").GetString()), Does.Not.Contain(removed["id"]!.GetValue<string>()));

        await AdminApiClient.ExpectAsync(api, HttpMethod.Patch, $"/api/organizations/{org}", platform, new { scimDeleteDeactivates = true });
        var kept = await scim.ExpectAsync(HttpMethod.Post, "/Users", ScimClient.UserJson($"kept-{Guid.NewGuid():N}@{domain}"), HttpStatusCode.Created);
        await scim.ExpectAsync(HttpMethod.Delete, $"/Users/{kept["id"]}", null, HttpStatusCode.NoContent);
        var after = await scim.GetAsync($"/Users/{kept["id"]}");
        Assert.That(after["active"]!.GetValue<bool>(), Is.False);
        var audit = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/audit", platform);
        Assert.That(audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "scim.user.deleted"), Is.EqualTo(2));
    }

    private string domain = null!;

    private async Task<(string OrganizationId, ScimClient Scim)> OrganizationAsync()
    {
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("scale"), ownerUserId: null);
        domain = $"d{Guid.NewGuid():N}.example.test";
        var added = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains", platform, new { name = domain });
        await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/domains/{added.GetProperty("id").GetString()}/mark-verified", platform);
        var created = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/scim-tokens", platform, new { name = "Entra" });
        return (org, new ScimClient(api, created.GetProperty("token").GetString()!));
    }

    /// <summary>SCIM users written straight to the store: the set-up of these tests, not what they test.</summary>
    private async Task<List<string>> SeedUsersAsync(string organizationId, int count)
    {
        var ids = new List<string>(count);
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            var email = $"seed-{i:D5}-{Guid.NewGuid():N}@example.test";
            var user = new PlintoUser
            {
                Id = Guid.NewGuid().ToString(),
                UserName = email,
                NormalizedUserName = email.ToUpperInvariant(),
                Email = email,
                NormalizedEmail = email.ToUpperInvariant(),
                SecurityStamp = Guid.NewGuid().ToString("N"),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Add(user);
            db.Add(new OrganizationMember
            {
                OrganizationId = organizationId,
                UserId = user.Id,
                JoinedAt = now,
                Roles = [new() { OrganizationId = organizationId, UserId = user.Id, RoleName = OrganizationRoles.Member }],
            });
            db.Add(new ScimUser
            {
                OrganizationId = organizationId,
                UserId = user.Id,
                UserName = email,
                NormalizedUserName = email.ToUpperInvariant(),
                CreatedAt = now,
                ModifiedAt = now,
                Version = "seed",
                CreatedAccount = true,
            });
            ids.Add(user.Id);
            if (i % 500 == 499)
            {
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }

        await db.SaveChangesAsync();
        return ids;
    }
}
