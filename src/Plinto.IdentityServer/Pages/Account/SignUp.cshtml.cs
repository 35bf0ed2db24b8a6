using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class SignUpModel(
    UserManager<PlintoUser> users,
    AccountEmailSender email,
    PasswordTimingEqualizer timing,
    AccountAttemptLimiter attempts,
    TimeProvider time,
    Plinto.IdentityServer.Account.Passwords.PasswordHashing hashing) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public sealed class InputModel
    {
        [StringLength(256)]
        [Display(Name = "Full name (optional)")]
        public string? Name { get; set; }

        [Required(ErrorMessage = "Enter your email address.")]
        [EmailAddress(ErrorMessage = "Enter a valid email address.")]
        [StringLength(256)]
        [Display(Name = "Email")]
        public string Email { get; set; } = string.Empty;

        [Required(ErrorMessage = "Choose a password.")]
        [DataType(DataType.Password)]
        [Display(Name = "Password")]
        public string Password { get; set; } = string.Empty;
    }

    public void OnGet()
    {
        Input.Email = AccountLinks.ReadAuthorizationParameter(ReturnUrl, "login_hint") ?? string.Empty;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Per address, before anything else (taken or not): sign-up cannot be used to flood a mailbox.
        if (!attempts.TryAttempt("signup:" + Input.Email))
        {
            return this.TooManyAttempts("Too many attempts for this address. Wait a minute, then try again.");
        }

        var user = new PlintoUser
        {
            UserName = Input.Email,
            Email = Input.Email,
            Name = string.IsNullOrWhiteSpace(Input.Name) ? null : Input.Name.Trim(),
            CreatedAt = time.GetUtcNow(),
        };

        // Password rules first: they do not depend on whether the address is taken, so they reveal nothing.
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, user, Input.Password);
            foreach (var error in check.Errors)
            {
                ModelState.AddModelError("Input.Password", error.Description);
            }
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var existing = await users.FindByEmailAsync(Input.Email);
        if (existing is null)
        {
            // In the line of password checks, like the other path's spent hash: under load both wait the same (hashed on
            // the pool, a new address was answered before a registered one), and a burst of sign-ups cannot starve
            // the pool either.
            var created = await hashing.RunAsync(() => users.CreateAsync(user, Input.Password), HttpContext.RequestAborted);
            if (created.Succeeded)
            {
                var token = await users.GenerateEmailConfirmationTokenAsync(user);
                var link = Url.Page("/Account/ConfirmEmail", values: new
                {
                    userId = user.Id,
                    code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token)),
                    returnUrl = Url.SafeReturnUrl(ReturnUrl),
                })!;
                await email.SendConfirmationLinkAsync(user, Input.Email, AccountLinks.Absolute(HttpContext, link));
                return RedirectToPage("/Account/CheckEmail");
            }

            if (created.Errors.All(e => e.Code is not (nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName))))
            {
                foreach (var error in created.Errors)
                {
                    ModelState.AddModelError(string.Empty, error.Description);
                }

                return Page();
            }
        }

        // The address has an account already: answer exactly as for a new one (including the time the password
        // hash takes on the other path), and tell the owner by e-mail.
        await hashing.SpendAsync(timing, Input.Password, HttpContext.RequestAborted);
        await email.SendAlreadyRegisteredAsync(
            Input.Email,
            AccountLinks.Absolute(HttpContext, Url.Page("/Account/SignIn")!),
            AccountLinks.Absolute(HttpContext, Url.Page("/Account/ForgotPassword")!));
        return RedirectToPage("/Account/CheckEmail");
    }
}
