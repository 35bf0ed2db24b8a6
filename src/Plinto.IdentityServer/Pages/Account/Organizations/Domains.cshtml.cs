using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Domains claimed by the organization and their DNS verification (<c>org:domains:manage</c>).</summary>
internal sealed class DomainsModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<DomainView> Domains { get; private set; } = [];

    public bool IsPlatformAdmin { get; private set; }

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostAddAsync(string slug, string? name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.AddDomainAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"{result.Value!.Name} added: publish the TXT record, then verify." : null, result.Message);
    }

    public async Task<IActionResult> OnPostVerifyAsync(string slug, string id, bool byAdministrator)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.VerifyDomainAsync(actor, Organization.Id, id, byAdministrator, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"{result.Value!.Name} is verified." : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeleteAsync(string slug, string id)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await Organizations.DeleteDomainAsync(actor, Organization.Id, id, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Domain removed." : null, result.Message);
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken)
    {
        IsPlatformAdmin = actor.IsPlatformAdmin;
        Domains = ListOrError(await Organizations.ListDomainsAsync(actor, Organization.Id, cancellationToken));
    }
}
