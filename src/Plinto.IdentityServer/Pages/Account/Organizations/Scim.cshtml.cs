using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;
using Plinto.IdentityServer.Scim;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>SCIM provisioning: the base URL to give the identity provider, and its tokens (<c>org:scim:manage</c>).</summary>
internal sealed class ScimModel(OrganizationAdministration organizations, ScimTokens tokens, UserManager<PlintoUser> users)
    : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<ScimTokenView> Tokens { get; private set; } = [];

    /// <summary>The secret of the token just created: shown on this response only, never stored.</summary>
    public string? NewToken { get; private set; }

    public string BaseUrl => AccountLinks.Absolute(HttpContext, "/scim/v2");

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostCreateAsync(string slug, string? name)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await tokens.CreateAsync(actor, Organization.Id, name, HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, result.Message!);
            return Page();
        }

        // Rendered directly (no redirect): the secret must not travel through TempData or a URL.
        NewToken = result.Value!.Token;
        await LoadAsync(slug);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string slug, string id)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        var result = await tokens.RevokeAsync(actor, Organization.Id, id, HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, result.Message!);
            return Page();
        }

        TempData["Status"] = "Token revoked: requests with it stop at once.";
        return RedirectToPage(new { slug });
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken) =>
        Tokens = ListOrError(await tokens.ListAsync(actor, Organization.Id, cancellationToken));
}
