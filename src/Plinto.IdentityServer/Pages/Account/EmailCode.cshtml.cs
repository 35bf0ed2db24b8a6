using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account;

/// <summary>
/// Passwordless sign-in with a one-time code sent by e-mail. Says the same whether or not the address has an
/// account; sending and guessing are limited per address before anything is looked up.
/// </summary>
internal sealed class EmailCodeModel(
    UserManager<PlintoUser> users,
    SignInManager<PlintoUser> signInManager,
    EmailCodes codes,
    MfaSignIn mfa,
    SecondFactors factors,
    UserSessions sessions,
    AccountAttemptLimiter attempts) : PageModel
{
    public const string FailureMessage = "That code is not right, or it expired. Ask for a new one.";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Enter your email address.")]
    [EmailAddress(ErrorMessage = "Enter a valid email address.")]
    [Display(Name = "Email")]
    public string Email { get; set; } = string.Empty;

    [BindProperty]
    [Display(Name = "Code from the email")]
    public string? Code { get; set; }

    public bool CodeSent { get; private set; }

    public void OnGet() => Email = AccountLinks.ReadAuthorizationParameter(ReturnUrl, "login_hint") ?? string.Empty;

    public async Task<IActionResult> OnPostSendAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (!attempts.TryAttempt("email-code-send:" + Email))
        {
            return this.TooManyAttempts("Too many attempts for this address. Wait a minute, then try again.");
        }

        if (await users.FindByEmailAsync(Email) is { } user && await signInManager.CanSignInAsync(user) && !await users.IsLockedOutAsync(user))
        {
            await codes.SendAsync(user, EmailCodePurpose.SignIn);
        }

        CodeSent = true;
        return Page();
    }

    public async Task<IActionResult> OnPostVerifyAsync()
    {
        CodeSent = true;
        if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Code))
        {
            ModelState.AddModelError(nameof(Code), "Enter the code from the email.");
            return Page();
        }

        if (!attempts.TryAttempt("email-code:" + Email))
        {
            return this.TooManyAttempts("Too many attempts for this address. Wait a minute, then try again.");
        }

        var user = await users.FindByEmailAsync(Email);
        if (user is null || await users.IsLockedOutAsync(user) || !await signInManager.CanSignInAsync(user))
        {
            ModelState.AddModelError(nameof(Code), FailureMessage);
            return Page();
        }

        if (!await codes.VerifyAsync(user, EmailCodePurpose.SignIn, Code))
        {
            // Across codes too: a fresh code does not reset the budget (5 wrong guesses lock for 5 minutes).
            await users.AccessFailedAsync(user);
            ModelState.AddModelError(nameof(Code), FailureMessage);
            return Page();
        }

        await users.ResetAccessFailedCountAsync(user);

        var multiFactorRequested = AuthenticationContext.RequestsMultiFactor(AccountLinks.ReadAuthorizationParameter(ReturnUrl, "acr_values"));
        if (mfa.IsRequired(user, multiFactorRequested))
        {
            // The mailbox is one factor; the account's second one comes next.
            await mfa.BeginAsync(user, ["otp"], remember: false);
            return RedirectToPage(await factors.IsEnrolledAsync(user) ? "/Account/Mfa" : "/Account/MfaSetup", new { ReturnUrl });
        }

        await sessions.SignInAsync(user, ["otp"], remember: false);
        return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
    }

}
