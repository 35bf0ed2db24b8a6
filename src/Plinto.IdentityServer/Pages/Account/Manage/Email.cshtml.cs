using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>
/// Changing the sign-in address: the current password, then a link to the new address (proof of the mailbox);
/// the old address is told. The answer is the same whether or not the new address belongs to another account.
/// </summary>
internal sealed class EmailModel(
    UserManager<PlintoUser> users, AccountEmailSender email, PasswordTimingEqualizer timing, Plinto.IdentityServer.Account.Passwords.PasswordHashing hashing)
    : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string CurrentEmail { get; private set; } = string.Empty;

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter the new email address.")]
        [EmailAddress(ErrorMessage = "Enter a valid email address.")]
        [StringLength(256)]
        [Display(Name = "New email address")]
        public string NewEmail { get; set; } = string.Empty;

        [Required(ErrorMessage = "Enter your current password.")]
        [DataType(DataType.Password)]
        [Display(Name = "Current password")]
        public string Password { get; set; } = string.Empty;
    }

    public async Task OnGetAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        CurrentEmail = user.Email ?? string.Empty;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        CurrentEmail = user.Email ?? string.Empty;
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (!await users.HasPasswordAsync(user))
        {
            await hashing.SpendAsync(timing, Input.Password, HttpContext.RequestAborted);
            ModelState.AddModelError("Input.Password", "Your password is not right.");
            return Page();
        }

        if (await users.IsLockedOutAsync(user) || !await hashing.CheckAsync(users, user, Input.Password, HttpContext.RequestAborted))
        {
            await users.AccessFailedAsync(user);
            ModelState.AddModelError("Input.Password", "Your password is not right.");
            return Page();
        }

        var newEmail = Input.NewEmail.Trim();
        if (string.Equals(newEmail, user.Email, StringComparison.OrdinalIgnoreCase))
        {
            ModelState.AddModelError("Input.NewEmail", "That is already your address.");
            return Page();
        }

        if (await users.FindByEmailAsync(newEmail) is not null)
        {
            // Taken: its owner hears about it; this page says the same as when it is free (no enumeration).
            await email.SendAlreadyRegisteredAsync(newEmail,
                AccountLinks.Absolute(HttpContext, Url.Page("/Account/SignIn")!),
                AccountLinks.Absolute(HttpContext, Url.Page("/Account/ForgotPassword")!));
        }
        else
        {
            var token = await users.GenerateChangeEmailTokenAsync(user, newEmail);
            var link = Url.Page("/Account/ConfirmEmailChange", values: new
            {
                userId = user.Id,
                email = newEmail,
                code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token)),
            })!;
            await email.SendEmailChangeLinkAsync(newEmail, AccountLinks.Absolute(HttpContext, link));
            await email.SendEmailChangeRequestedNoticeAsync(user.Email!);
        }

        TempData["Status"] = $"We sent a link to {newEmail}. Your address changes when you use it.";
        return RedirectToPage();
    }
}
