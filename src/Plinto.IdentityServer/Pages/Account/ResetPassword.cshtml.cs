using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class ResetPasswordModel(
    UserManager<PlintoUser> users,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens,
    Plinto.IdentityServer.Account.Sessions.UserSessions sessions) : PageModel
{
    private const string InvalidLink = "This reset link is invalid or has expired. Ask for a new one.";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool Done { get; private set; }

    public sealed class InputModel
    {
        [Required]
        public string UserId { get; set; } = string.Empty;

        [Required]
        public string Code { get; set; } = string.Empty;

        [Required(ErrorMessage = "Choose a new password.")]
        [DataType(DataType.Password)]
        [Display(Name = "New password")]
        public string Password { get; set; } = string.Empty;
    }

    public IActionResult OnGet(string? userId, string? code)
    {
        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(code))
        {
            ModelState.AddModelError(string.Empty, InvalidLink);
        }

        Input.UserId = userId ?? string.Empty;
        Input.Code = code ?? string.Empty;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var user = await users.FindByIdAsync(Input.UserId);
        string token;
        try
        {
            token = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(Input.Code));
        }
        catch (FormatException)
        {
            token = string.Empty;
        }

        if (user is null)
        {
            ModelState.AddModelError(string.Empty, InvalidLink);
            return Page();
        }

        var result = await users.ResetPasswordAsync(user, token, Input.Password);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(
                    error.Code == nameof(IdentityErrorDescriber.InvalidToken) ? string.Empty : "Input.Password",
                    error.Code == nameof(IdentityErrorDescriber.InvalidToken) ? InvalidLink : error.Description);
            }

            return Page();
        }

        // Proving control of the mailbox ends a lockout and confirms the address (an account someone else
        // registered with this address becomes the mailbox owner's). The new security stamp ends the other
        // sessions; every grant made before the reset is revoked.
        // Undo a lockout from failed attempts — not a deactivation (AccountLockout), which a reset must not lift.
        if (!await users.IsDeactivatedAsync(user))
        {
            await users.SetLockoutEndDateAsync(user, null);
        }

        await users.ResetAccessFailedCountAsync(user);
        if (!user.EmailConfirmed)
        {
            user.EmailConfirmed = true;
            await users.UpdateAsync(user);
        }

        await authorizations.RevokeBySubjectAsync(user.Id, HttpContext.RequestAborted);
        await tokens.RevokeBySubjectAsync(user.Id, HttpContext.RequestAborted);
        await sessions.RevokeAllAsync(user.Id, keep: null);
        Done = true;
        return Page();
    }
}
