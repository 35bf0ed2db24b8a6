using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>SAML single sign-on: the organization's connections, the values to give the IdP, and creating one from metadata (owners).</summary>
internal sealed class SsoModel(OrganizationAdministration organizations, SamlConnections connections, UserManager<PlintoUser> users)
    : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<SamlConnectionView> Connections { get; private set; } = [];

    private string Origin => AccountLinks.Absolute(HttpContext, string.Empty);

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostCreateAsync(string slug, string? name, string? metadataUrl, string? metadataXml)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var request = new SamlConnectionRequest(string.IsNullOrWhiteSpace(metadataXml) ? null : metadataXml,
            string.IsNullOrWhiteSpace(metadataUrl) ? null : metadataUrl.Trim(), new SamlConnectionSettings(Name: string.IsNullOrWhiteSpace(name) ? null : name));
        var result = await connections.CreateAsync(actor, Organization.Id, request, Origin, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? $"Connection {result.Value!.Name} created: give the IdP the values below." : null, result.Message);
    }

    public async Task<IActionResult> OnPostEnableAsync(string slug, string id, bool enabled)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await connections.UpdateAsync(actor, Organization.Id, id, new SamlConnectionRequest(null, null, new SamlConnectionSettings(Enabled: enabled)),
            Origin, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? (enabled ? "Connection enabled." : "Connection disabled.") : null, result.Message);
    }

    public async Task<IActionResult> OnPostDeleteAsync(string slug, string id)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await connections.DeleteAsync(actor, Organization.Id, id, HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Connection deleted." : null, result.Message);
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken) =>
        Connections = ListOrError(await connections.ListAsync(actor, Organization.Id, Origin, cancellationToken));
}
