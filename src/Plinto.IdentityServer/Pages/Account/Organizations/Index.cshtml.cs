using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>The organizations the person belongs to; creating one when self-service is on (or for platform administrators).</summary>
[Authorize]
internal sealed class IndexModel(
    OrganizationAdministration organizations, UserManager<PlintoUser> users, IOptions<OrganizationOptions> options) : PageModel
{
    public IReadOnlyList<OrganizationView> Organizations { get; private set; } = [];

    public bool CanCreate { get; private set; }

    [BindProperty(SupportsGet = true)]
    public string? Joined { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter a name.")]
        [StringLength(100)]
        [Display(Name = "Name")]
        public string Name { get; set; } = string.Empty;

        [Required(ErrorMessage = "Enter a short name for URLs.")]
        [StringLength(OrganizationSlug.MaxLength)]
        [Display(Name = "Short name (for URLs: lower-case letters, digits and dashes)")]
        public string Slug { get; set; } = string.Empty;
    }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync()
    {
        var actor = await LoadAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await organizations.CreateAsync(actor, Input.Name, Input.Slug, ownerUserId: actor.UserId, HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(result.Error == OrganizationError.Conflict ? "Input.Slug" : string.Empty, result.Message!);
            return Page();
        }

        return RedirectToPage("Settings", new { slug = result.Value!.Slug });
    }

    private async Task<OrganizationActor> LoadAsync()
    {
        var actor = await OrganizationPages.ActorAsync(users, User);
        Organizations = await organizations.ListAsync(actor with { IsPlatformAdmin = false }, 0, OrganizationAdministration.MaxPageSize, HttpContext.RequestAborted);
        CanCreate = options.Value.SelfService || actor.IsPlatformAdmin;
        return actor;
    }
}
