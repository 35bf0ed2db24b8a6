using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>
/// Password change. With "sign out my other sessions" (the default), the security stamp changes: every other
/// browser session ends and every refresh token is refused; this browser keeps its session. Without it, only the
/// password changes. Either way the address is told.
/// </summary>
internal sealed class PasswordModel(
    UserManager<PlintoUser> users,
    IUserStore<PlintoUser> store,
    UserSessions sessions,
    AccountEmailSender email,
    Plinto.IdentityServer.Account.Passwords.PasswordHashing hashing) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string Email { get; private set; } = string.Empty;

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [DataType(DataType.Password)]
        [Display(Name = "Current password")]
        public string CurrentPassword { get; set; } = string.Empty;

        [Required(ErrorMessage = "Choose a new password.")]
        [DataType(DataType.Password)]
        [Display(Name = "New password")]
        public string NewPassword { get; set; } = string.Empty;

        [Display(Name = "Sign out my other sessions and apps")]
        public bool SignOutOtherSessions { get; set; } = true;
    }

    public async Task OnGetAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        Email = user.Email ?? string.Empty;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        Email = user.Email ?? string.Empty;
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (await users.IsLockedOutAsync(user) || !await hashing.CheckAsync(users, user, Input.CurrentPassword, HttpContext.RequestAborted))
        {
            await users.AccessFailedAsync(user);
            ModelState.AddModelError("Input.CurrentPassword", "Your current password is not right.");
            return Page();
        }

        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
        {
            var validation = await validator.ValidateAsync(users, user, Input.NewPassword);
            errors.AddRange(validation.Errors);
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                ModelState.AddModelError("Input.NewPassword", error.Description);
            }

            return Page();
        }

        // The hash only (the current password was checked above, the rules too): Identity's ChangePasswordAsync
        // would check the old password a second time and always change the security stamp.
        var passwords = (IUserPasswordStore<PlintoUser>)store;
        await passwords.SetPasswordHashAsync(user, users.PasswordHasher.HashPassword(user, Input.NewPassword), HttpContext.RequestAborted);
        if (!(await users.UpdateAsync(user)).Succeeded)
        {
            ModelState.AddModelError(string.Empty, "Your password could not be changed. Try again.");
            return Page();
        }

        if (Input.SignOutOtherSessions)
        {
            await sessions.EndOtherSessionsAsync(user);
        }

        await email.SendPasswordChangedNoticeAsync(user.Email!);
        TempData["Status"] = Input.SignOutOtherSessions ? "Password changed. Your other sessions were signed out." : "Password changed.";
        return RedirectToPage();
    }
}
