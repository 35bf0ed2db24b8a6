using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>
/// What every page of one organization does: find the organization by slug as the signed-in person sees it (404
/// otherwise), load the page's own section, and end a form post with a status message or the refusal in place.
/// </summary>
[Authorize]
internal abstract class OrganizationPageModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : PageModel
{
    public OrganizationView Organization { get; private set; } = null!;

    protected OrganizationAdministration Organizations => organizations;

    /// <summary>The actor when the organization exists for them (and the section is loaded); null for a 404.</summary>
    protected async Task<OrganizationActor?> LoadAsync(string slug)
    {
        var actor = await OrganizationPages.ActorAsync(users, User);
        if (await OrganizationPages.FindAsync(organizations, actor, slug, HttpContext.RequestAborted) is not { } organization)
        {
            return null;
        }

        Organization = organization;
        await LoadSectionAsync(actor, HttpContext.RequestAborted);
        return actor;
    }

    protected abstract Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken);

    /// <summary>A list for the page; a refusal (a missing permission) shows in the error summary instead.</summary>
    protected IReadOnlyList<T> ListOrError<T>(OrganizationResult<IReadOnlyList<T>> result)
    {
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, result.Message!);
        }

        return result.Value ?? [];
    }

    /// <summary>After a command: back to the page with <paramref name="status"/>, or the page again with <paramref name="error"/>.</summary>
    protected IActionResult Done(string slug, string? status, string? error)
    {
        if (error is not null)
        {
            ModelState.AddModelError(string.Empty, error);
            return Page();
        }

        TempData["Status"] = status;
        return RedirectToPage(new { slug });
    }
}
