using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;

namespace Plinto.IdentityServer.Pages.Account;

/// <summary>The second step of a sign-in, or a step-up of the current session: an authenticator or recovery code.</summary>
internal sealed class MfaModel(
    MfaSignIn mfa,
    SecondFactors factors,
    AccountAttemptLimiter attempts,
    Plinto.IdentityServer.Account.Passkeys.Passkeys passkeys,
    EmailCodes emailCodes,
    Microsoft.AspNetCore.Identity.UserManager<PlintoUser> users) : PageModel
{
    public const string FailureMessage = "That code is not right, or it was already used. Try the next code from your app.";

    [BindProperty]
    [Required(ErrorMessage = "Enter the code from your authenticator app, or a recovery code.")]
    [Display(Name = "Verification code")]
    public string Code { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool StepUp { get; private set; }

    public bool HasAuthenticator { get; private set; }

    public bool HasPasskey { get; private set; }

    public bool EmailCodeSent { get; private set; }

    public bool EmailCodeAllowed { get; private set; }

    [BindProperty]
    [Display(Name = "Code from the email")]
    public string? EmailCode { get; set; }

    /// <summary>A code by e-mail as the second step after a password (the fallback when the app is not at hand).</summary>
    public async Task<IActionResult> OnPostSendEmailCodeAsync()
    {
        ModelState.Clear();
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        await LoadAsync(pending);
        if (!EmailCodeAllowed)
        {
            return RedirectToPage(new { ReturnUrl });
        }

        if (!attempts.TryAttempt("mfa-email-send:" + pending.User.Id))
        {
            return this.TooManyAttempts("Too many attempts. Wait a minute, then try again.");
        }

        await emailCodes.SendAsync(pending.User, EmailCodePurpose.SecondFactor);
        EmailCodeSent = true;
        return Page();
    }

    public async Task<IActionResult> OnPostVerifyEmailCodeAsync()
    {
        ModelState.Clear();
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        await LoadAsync(pending);
        if (!EmailCodeAllowed)
        {
            return RedirectToPage(new { ReturnUrl });
        }

        EmailCodeSent = true;
        if (!attempts.TryAttempt("mfa:" + pending.User.Id))
        {
            return this.TooManyAttempts("Too many attempts. Wait a minute, then try again.");
        }

        if (string.IsNullOrWhiteSpace(EmailCode) || await users.IsLockedOutAsync(pending.User)
            || !await emailCodes.VerifyAsync(pending.User, EmailCodePurpose.SecondFactor, EmailCode))
        {
            await users.AccessFailedAsync(pending.User);
            ModelState.AddModelError(nameof(EmailCode), "That code is not right, or it expired. Ask for a new one.");
            return Page();
        }

        await users.ResetAccessFailedCountAsync(pending.User);
        await mfa.FinishAsync(pending, "otp");
        return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
    }

    /// <summary>Options for this person's own passkeys (the second factor after a password, or a step-up).</summary>
    public async Task<IActionResult> OnGetPasskeyOptionsAsync() =>
        await mfa.FindAsync() is { } pending
            ? Content(await passkeys.RequestOptionsAsync(pending.User), "application/json")
            : Unauthorized();

    public async Task<IActionResult> OnPostPasskeyAsync(string? credential)
    {
        ModelState.Clear();
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        var assertion = string.IsNullOrEmpty(credential) || credential.Length > 16_384 ? null : await passkeys.AssertAsync(credential, pending.User);
        if (assertion is null)
        {
            await LoadAsync(pending);
            ModelState.AddModelError(string.Empty, "That passkey could not be verified. Try again, or enter a code.");
            return Page();
        }

        await mfa.FinishAsync(pending, assertion.Methods[0]);
        return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
    }

    private async Task LoadAsync(PendingSignIn pending)
    {
        StepUp = pending.StepUp;
        HasAuthenticator = await factors.HasAuthenticatorAsync(pending.User);
        HasPasskey = await factors.HasPasskeyAsync(pending.User);
        // An e-mailed code is a second factor only after a password, and only for an account that has a real
        // second factor (the fallback, not a way around enrolment): the mailbox must never count twice.
        EmailCodeAllowed = pending.FirstFactorIsPassword && (HasAuthenticator || HasPasskey);
    }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        await LoadAsync(pending);
        if (!HasAuthenticator && !HasPasskey)
        {
            return RedirectToPage("/Account/MfaSetup", new { ReturnUrl });
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await mfa.FindAsync() is not { } pending)
        {
            // The two-factor cookie expired (5 minutes) or was never there: start again.
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        await LoadAsync(pending);
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Before any check: the same per-account budget as passwords (codes are short, guessing must be slow).
        if (!attempts.TryAttempt("mfa:" + pending.User.Id))
        {
            return this.TooManyAttempts("Too many attempts. Wait a minute, then try again.");
        }

        if (await mfa.CompleteAsync(pending, Code) != SecondFactorResult.Accepted)
        {
            ModelState.AddModelError(nameof(Code), FailureMessage);
            return Page();
        }

        return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
    }
}
