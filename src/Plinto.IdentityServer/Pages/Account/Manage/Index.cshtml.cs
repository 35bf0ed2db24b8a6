using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>The profile: the OIDC <c>profile</c> claims the person controls.</summary>
internal sealed class IndexModel(UserManager<PlintoUser> users) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string Email { get; private set; } = string.Empty;

    public sealed class InputModel
    {
        [StringLength(256, ErrorMessage = "Use at most 256 characters.")]
        [Display(Name = "Full name")]
        public string? Name { get; set; }

        [StringLength(128, ErrorMessage = "Use at most 128 characters.")]
        [Display(Name = "Given name")]
        public string? GivenName { get; set; }

        [StringLength(128, ErrorMessage = "Use at most 128 characters.")]
        [Display(Name = "Family name")]
        public string? FamilyName { get; set; }

        [StringLength(2048, ErrorMessage = "Use at most 2048 characters.")]
        [Display(Name = "Picture URL")]
        public string? Picture { get; set; }
    }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        Email = user.Email ?? string.Empty;
        Input = new InputModel { Name = user.Name, GivenName = user.GivenName, FamilyName = user.FamilyName, Picture = user.Picture };
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        Email = user.Email ?? string.Empty;
        // OIDC Core §5.1 picture: a URL that applications will load; https only, so no script or data URLs.
        if (!string.IsNullOrWhiteSpace(Input.Picture)
            && !(Uri.TryCreate(Input.Picture.Trim(), UriKind.Absolute, out var picture) && picture.Scheme == Uri.UriSchemeHttps))
        {
            ModelState.AddModelError("Input.Picture", "Enter an https:// address of an image, or leave it empty.");
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        user.Name = Clean(Input.Name);
        user.GivenName = Clean(Input.GivenName);
        user.FamilyName = Clean(Input.FamilyName);
        user.Picture = Clean(Input.Picture);
        var result = await users.UpdateAsync(user);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(string.Empty, "Your profile changed elsewhere at the same time. Reload and try again.");
            return Page();
        }

        TempData["Status"] = "Profile saved.";
        return RedirectToPage();
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
