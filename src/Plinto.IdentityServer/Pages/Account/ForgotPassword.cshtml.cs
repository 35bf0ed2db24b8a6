using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class ForgotPasswordModel(UserManager<PlintoUser> users, AccountEmailSender email, AccountAttemptLimiter attempts) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Sent { get; set; }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address.")]
        [EmailAddress(ErrorMessage = "Enter a valid email address.")]
        [Display(Name = "Email")]
        public string Email { get; set; } = string.Empty;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Per address, before the lookup (whether or not it has an account): no mail-bombing a mailbox.
        if (!attempts.TryAttempt("reset:" + Input.Email))
        {
            return this.TooManyAttempts("Too many requests for this address. Wait a minute, then try again.");
        }

        // Same answer, same status and (the mail is queued) the same time whether or not the account exists.
        // Unconfirmed accounts too: the mailbox owner must be able to take back an address someone else registered.
        var user = await users.FindByEmailAsync(Input.Email);
        if (user?.Email is not null)
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var link = Url.Page("/Account/ResetPassword", values: new
            {
                userId = user.Id,
                code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token)),
            })!;
            await email.SendPasswordResetLinkAsync(user, user.Email, AccountLinks.Absolute(HttpContext, link));
        }

        return RedirectToPage(new { sent = true, returnUrl = ReturnUrl });
    }
}
