using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>What the organization admin pages share: the signed-in person as an actor, and the organization by slug.</summary>
internal static class OrganizationPages
{
    public static async Task<OrganizationActor> ActorAsync(UserManager<PlintoUser> users, ClaimsPrincipal principal)
    {
        var user = await users.GetUserAsync(principal) ?? throw new InvalidOperationException("The page requires a signed-in user.");
        return OrganizationActor.ForUser(user.Id, await users.IsInRoleAsync(user, AdminBootstrapService.AdminRole));
    }

    /// <summary>The organization with this slug as the actor sees it (null: absent or not theirs — the page shows 404).</summary>
    public static async Task<OrganizationView?> FindAsync(
        OrganizationAdministration organizations, OrganizationActor actor, string slug, CancellationToken cancellationToken)
    {
        var id = await organizations.FindIdBySlugAsync(slug, cancellationToken);
        return id is null ? null : (await organizations.GetAsync(actor, id, cancellationToken)).Value;
    }
}
