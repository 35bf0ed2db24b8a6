using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Members and their roles; changing roles, removing members, leaving.</summary>
internal sealed class MembersModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : OrganizationPageModel(organizations, users)
{
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

        var result = await Organizations.SetMemberRolesAsync(actor, Organization.Id, userId, roles, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Roles saved." : null, result.Message);
    }

    public async Task<IActionResult> OnPostRemoveAsync(string slug, string userId)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.RemoveMemberAsync(actor, Organization.Id, userId, HttpContext.RequestAborted);
        if (result.Succeeded && userId == actor.UserId)
        {
            TempData["Status"] = $"You left {Organization.Name}.";
            return RedirectToPage("Index");
        }

        return Done(slug, result.Succeeded ? "Member removed; their tokens for this organization are revoked." : null, result.Message);
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken)
    {
        CurrentUserId = actor.UserId!;
        Offset = Math.Max(Offset, 0);
        Members = ListOrError(await Organizations.ListMembersAsync(actor, Organization.Id, Offset, PageSize, cancellationToken));
        Roles = ListOrError(await Organizations.ListRolesAsync(actor, Organization.Id, cancellationToken));
    }
}
