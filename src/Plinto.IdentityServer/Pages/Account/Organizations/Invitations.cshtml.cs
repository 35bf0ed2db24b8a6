using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Inviting people by e-mail, and revoking invitations (<c>org:invitations:manage</c>).</summary>
internal sealed class InvitationsModel(OrganizationAdministration organizations, UserManager<PlintoUser> users, AccountEmailSender email)
    : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<InvitationView> Invitations { get; private set; } = [];

    public IReadOnlyList<RoleView> Roles { get; private set; } = [];

    [BindProperty]
    [Required(ErrorMessage = "Enter an email address.")]
    [EmailAddress(ErrorMessage = "Enter a valid email address.")]
    [Display(Name = "Email")]
    public string Email { get; set; } = string.Empty;

    [BindProperty]
    [Display(Name = "Role")]
    public string? Role { get; set; }

    public async Task<IActionResult> OnGetAsync(string slug) => await LoadAsync(slug) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostAsync(string slug)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await InvitationMail.InviteAndSendAsync(HttpContext, Organizations, email, actor, Organization.Id, Email, Role, HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, result.Message!);
            return Page();
        }

        TempData["Status"] = $"Invitation sent to {result.Value!.Email}.";
        return RedirectToPage(new { slug });
    }

    public async Task<IActionResult> OnPostRevokeAsync(string slug, string id)
    {
        if (await LoadAsync(slug) is not { } actor)
        {
            return NotFound();
        }

        ModelState.Clear();
        var result = await Organizations.RevokeInvitationAsync(actor, Organization.Id, id, HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, result.Message!);
            return Page();
        }

        TempData["Status"] = "Invitation revoked.";
        return RedirectToPage(new { slug });
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken)
    {
        Invitations = ListOrError(await Organizations.ListInvitationsAsync(actor, Organization.Id, 0, OrganizationAdministration.MaxPageSize, cancellationToken));
        Roles = ListOrError(await Organizations.ListRolesAsync(actor, Organization.Id, cancellationToken));
    }
}
