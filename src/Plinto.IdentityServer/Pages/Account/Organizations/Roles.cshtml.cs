using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Built-in and custom roles, and the organization's own permissions (<c>org:roles:manage</c> to change them).</summary>
[Authorize]
internal sealed class RolesModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : PageModel
{
    public OrganizationView Organization { get; private set; } = null!;

    public IReadOnlyList<RoleView> Roles { get; private set; } = [];

    public IReadOnlyList<PermissionView> Permissions { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostSaveRoleAsync(string slug, string name, string? description, string[] permissions)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.SaveRoleAsync(actor, Organization.Id, name?.Trim() ?? string.Empty, description, permissions, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Role {name} saved." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeleteRoleAsync(string slug, string name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.DeleteRoleAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Role {name} deleted." : null, result.Message);
    }

    public async Task<IActionResult> OnPostCreatePermissionAsync(string slug, string name, string? description)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.CreatePermissionAsync(actor, Organization.Id, name?.Trim(), description, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Permission {name} created." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeletePermissionAsync(string slug, string name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.DeletePermissionAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Permission {name} deleted." : null, result.Message);
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
        Roles = (await organizations.ListRolesAsync(actor, organization.Id, HttpContext.RequestAborted)).Value ?? [];
        Permissions = (await organizations.ListPermissionsAsync(actor, organization.Id, HttpContext.RequestAborted)).Value ?? [];
        return actor;
    }
}
