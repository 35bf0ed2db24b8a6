using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Domains claimed by the organization and their DNS verification (<c>org:domains:manage</c>).</summary>
[Authorize]
internal sealed class DomainsModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : PageModel
{
    public OrganizationView Organization { get; private set; } = null!;

    public IReadOnlyList<DomainView> Domains { get; private set; } = [];

    public bool IsPlatformAdmin { get; private set; }

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostAddAsync(string slug, string? name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.AddDomainAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"{result.Value!.Name} added: publish the TXT record, then verify." : null, result.Message);
    }

    public async Task<IActionResult> OnPostVerifyAsync(string slug, string id, bool byAdministrator)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.VerifyDomainAsync(actor, Organization.Id, id, byAdministrator, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"{result.Value!.Name} is verified." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeleteAsync(string slug, string id)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await organizations.DeleteDomainAsync(actor, Organization.Id, id, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Domain removed." : null, result.Message);
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
        IsPlatformAdmin = actor.IsPlatformAdmin;
        var domains = await organizations.ListDomainsAsync(actor, organization.Id, HttpContext.RequestAborted);
        if (!domains.Succeeded)
        {
            ModelState.AddModelError(string.Empty, domains.Message!);
        }

        Domains = domains.Value ?? [];
        return actor;
    }
}
