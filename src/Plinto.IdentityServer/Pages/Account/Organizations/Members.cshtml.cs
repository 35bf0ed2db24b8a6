using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Members and their roles; changing roles, removing members, leaving.</summary>
[Authorize]
internal sealed class MembersModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : PageModel
{
    public OrganizationView Organization { get; private set; } = null!;

    public IReadOnlyList<MemberView> Members { get; private set; } = [];

    public IReadOnlyList<RoleView> Roles { get; private set; } = [];

    public string CurrentUserId { get; private set; } = string.Empty;

    public const int PageSize = 100;

    /// <summary>Members are listed by e-mail address, a page at a time.</summary>
    [BindProperty(SupportsGet = true)]
    public int Offset { get; set; }

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostRolesAsync(string slug, string userId, string[] roles)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.SetMemberRolesAsync(actor, Organization.Id, userId, roles, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Roles saved." : null, result.Message);
    }

    public async Task<IActionResult> OnPostRemoveAsync(string slug, string userId)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.RemoveMemberAsync(actor, Organization.Id, userId, HttpContext.RequestAborted);
        if (result.Succeeded && userId == actor.UserId)
        {
            TempData["Status"] = $"You left {Organization.Name}.";
            return RedirectToPage("Index");
        }

        return Done(slug, result.Succeeded ? "Member removed; their tokens for this organization are revoked." : null, result.Message);
    }

    private IActionResult Done(string slug, string? status, string? error)
    {
        if (error is not null)
        {
            ModelState.AddModelError(string.Empty, error);
            return Page();
        }

        TempData["Status"] = status;
        return RedirectToPage(new { slug });
    }

    private async Task<OrganizationActor?> LoadAsync(string slug)
    {
        var actor = await OrganizationPages.ActorAsync(users, User);
        if (await OrganizationPages.FindAsync(organizations, actor, slug, HttpContext.RequestAborted) is not { } organization)
        {
            return null;
        }

        Organization = organization;
        CurrentUserId = actor.UserId!;
        Offset = Math.Max(Offset, 0);
        Members = (await organizations.ListMembersAsync(actor, organization.Id, Offset, PageSize, HttpContext.RequestAborted)).Value ?? [];
        Roles = (await organizations.ListRolesAsync(actor, organization.Id, HttpContext.RequestAborted)).Value ?? [];
        return actor;
    }
}
