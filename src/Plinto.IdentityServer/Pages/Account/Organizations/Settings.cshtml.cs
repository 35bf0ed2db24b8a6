using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account.Organizations;

/// <summary>Name, branding and sign-in policies of one organization (<c>org:update</c>).</summary>
internal sealed class SettingsModel(OrganizationAdministration organizations, UserManager<PlintoUser> users) : OrganizationPageModel(organizations, users)
{
    public IReadOnlyList<RoleView> Roles { get; private set; } = [];

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter a name.")]
        [StringLength(100)]
        [Display(Name = "Name")]
        public string Name { get; set; } = string.Empty;

        [Display(Name = "Logo URL (https)")]
        [StringLength(2048)]
        public string? LogoUrl { get; set; }

        [Display(Name = "Primary colour")]
        public string? PrimaryColor { get; set; }

        [Display(Name = "Require two-step verification for this organization")]
        public bool RequireMfa { get; set; }

        public bool AllowPassword { get; set; }

        public bool AllowPasskey { get; set; }

        public bool AllowSaml { get; set; }

        public bool AllowEmailCode { get; set; }

        [Display(Name = "Require signing in again after (minutes; empty: no limit of its own)")]
        [Range(5, 129600, ErrorMessage = "Between 5 minutes and 90 days (129600).")]
        public int? SessionLifetimeMinutes { get; set; }

        [Display(Name = "People with an address on a verified domain join automatically")]
        public bool AutoJoinVerifiedDomains { get; set; }

        [Display(Name = "Role for people who join automatically")]
        public string DefaultRole { get; set; } = OrganizationRoles.Member;

        [Display(Name = "When the identity provider deletes a user, deactivate them instead of removing them")]
        public bool ScimDeleteDeactivates { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(string slug)
    {
        if (await LoadAsync(slug) is not { } _)
        {
            return NotFound();
        }

        var policies = Organization.Policies;
        Input = new InputModel
        {
            Name = Organization.Name,
            LogoUrl = Organization.LogoUrl,
            PrimaryColor = Organization.PrimaryColor ?? "#3b3fd8",
            RequireMfa = policies.RequireMfa,
            AllowPassword = policies.AllowedMethods.Contains(SignInMethodNames.Password),
            AllowPasskey = policies.AllowedMethods.Contains(SignInMethodNames.Passkey),
            AllowSaml = policies.AllowedMethods.Contains(SignInMethodNames.Saml),
            AllowEmailCode = policies.AllowedMethods.Contains(SignInMethodNames.EmailCode),
            SessionLifetimeMinutes = policies.SessionLifetimeMinutes,
            AutoJoinVerifiedDomains = policies.AutoJoinVerifiedDomains,
            DefaultRole = policies.DefaultRole,
            ScimDeleteDeactivates = policies.ScimDeleteDeactivates,
        };
        return Page();
    }

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

        string[] methods =
        [
            .. Input.AllowPassword ? [SignInMethodNames.Password] : Array.Empty<string>(),
            .. Input.AllowPasskey ? [SignInMethodNames.Passkey] : Array.Empty<string>(),
            .. Input.AllowSaml ? [SignInMethodNames.Saml] : Array.Empty<string>(),
            .. Input.AllowEmailCode ? [SignInMethodNames.EmailCode] : Array.Empty<string>(),
        ];
        var result = await Organizations.UpdateAsync(actor, Organization.Id, new OrganizationUpdate(
            Name: Input.Name,
            LogoUrl: Input.LogoUrl ?? string.Empty,
            PrimaryColor: Input.PrimaryColor ?? string.Empty,
            RequireMfa: Input.RequireMfa,
            AllowedMethods: methods,
            SessionLifetimeMinutes: Input.SessionLifetimeMinutes,
            ClearSessionLifetime: Input.SessionLifetimeMinutes is null,
            AutoJoinVerifiedDomains: Input.AutoJoinVerifiedDomains,
            DefaultRole: Input.DefaultRole,
            ScimDeleteDeactivates: Input.ScimDeleteDeactivates), HttpContext.RequestAborted);
        return Done(slug, result.Succeeded ? "Saved." : null, result.Message);
    }

    protected override async Task LoadSectionAsync(OrganizationActor actor, CancellationToken cancellationToken) =>
        Roles = ListOrError(await Organizations.ListRolesAsync(actor, Organization.Id, cancellationToken));
}
