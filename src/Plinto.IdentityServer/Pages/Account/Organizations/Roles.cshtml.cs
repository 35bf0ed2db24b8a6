using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Built-in and custom roles, and the organization's own permissions (<c>org:roles:manage</c> to change them).</summary>
internal sealed class RolesModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<RoleView> Roles { get; private set; } = [];

    public IReadOnlyList<PermissionView> Permissions { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostSaveRoleAsync(string slug, string name, string? description, string[] permissions)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.SaveRoleAsync(actor, Organization.Id, name?.Trim() ?? string.Empty, description, permissions, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Role {name} saved." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeleteRoleAsync(string slug, string name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.DeleteRoleAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Role {name} deleted." : null, result.Message);
    }

    public async Task<IActionResult> OnPostCreatePermissionAsync(string slug, string name, string? description)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.CreatePermissionAsync(actor, Organization.Id, name?.Trim(), description, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Permission {name} created." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeletePermissionAsync(string slug, string name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.DeletePermissionAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Permission {name} deleted." : null, result.Message);
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken)
    {
        Roles = ListOrError(await Organizations.ListRolesAsync(actor, Organization.Id, cancellationToken));
        Permissions = ListOrError(await Organizations.ListPermissionsAsync(actor, Organization.Id, cancellationToken));
    }
}
