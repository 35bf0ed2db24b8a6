using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;
using QRCoder;

namespace Plinto.IdentityServer.Pages.Account;

/// <summary>
/// Enrols an authenticator app: a new secret (kept in a protected form field until confirmed, so an abandoned
/// set-up changes nothing), a first code to prove the app has it, then recovery codes shown once. Reached from
/// the account center, or at sign-in when a second factor is required and the account has none.
/// </summary>
internal sealed class MfaSetupModel(
    MfaSignIn mfa,
    SecondFactors factors,
    IDataProtectionProvider dataProtection,
    IOptions<MfaOptions> options,
    Plinto.IdentityServer.Account.Sessions.UserSessions sessions,
    TimeProvider time) : PageModel
{
    private readonly ITimeLimitedDataProtector protector =
        dataProtection.CreateProtector("Plinto.Account.MfaSetup").ToTimeLimitedDataProtector();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string Setup { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Enter the 6-digit code your app shows.")]
    [Display(Name = "Code from the app")]
    public string Code { get; set; } = string.Empty;

    public string QrCodeDataUri { get; private set; } = string.Empty;

    public string ManualKey { get; private set; } = string.Empty;

    public bool Forced { get; private set; }

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    public string ContinueUrl => Url.SafeReturnUrl(ReturnUrl);

    public async Task<IActionResult> OnGetAsync()
    {
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl = Request.Path + Request.QueryString });
        }

        if (await GuardAsync(pending) is { } refused)
        {
            return refused;
        }

        Forced = !pending.StepUp;
        Show(pending.User, Totp.NewSecret());
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await mfa.FindAsync() is not { } pending)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl });
        }

        Forced = !pending.StepUp;
        var secret = ReadSetup(pending.User);
        if (secret is null)
        {
            // Expired (15 minutes) or not ours: a new secret, and the person scans again.
            ModelState.AddModelError(string.Empty, "This set-up expired. Scan the new code and try again.");
            Show(pending.User, Totp.NewSecret());
            return Page();
        }

        if (!ModelState.IsValid)
        {
            Show(pending.User, secret);
            return Page();
        }

        if (await GuardAsync(pending) is { } refused)
        {
            return refused;
        }

        var codes = await factors.EnableAuthenticatorAsync(pending.User, secret, Code);
        if (codes is null)
        {
            ModelState.AddModelError(nameof(Code), "That code does not match. Check the time on your phone and enter the current code.");
            Show(pending.User, secret);
            return Page();
        }

        // A new factor ends every other session and grant (a stolen single-factor session must not outlive it);
        // this browser's session is then replaced by one with both factors.
        await sessions.EndOtherSessionsAsync(pending.User);
        await mfa.FinishAsync(pending, "otp", enrolment: true);
        RecoveryCodes = codes;
        return Page();
    }

    /// <summary>
    /// Enrolment is not a way around a factor the account already has (prove it on the second-step page), and a
    /// signed-in session may enrol only shortly after its sign-in (an unattended session must not plant one).
    /// </summary>
    private async Task<IActionResult?> GuardAsync(PendingSignIn pending)
    {
        if (await factors.IsEnrolledAsync(pending.User) && !AuthenticationContext.IsMultiFactor(pending.Methods))
        {
            return RedirectToPage("/Account/Mfa", new { ReturnUrl });
        }

        if (await factors.HasAuthenticatorAsync(pending.User))
        {
            // One authenticator per account; replacing it means turning it off first.
            return RedirectToPage("/Account/Manage/TwoStep");
        }

        if (pending.StepUp && time.GetUtcNow() - pending.AuthenticatedAt > SessionClaims.RecentWindow)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl = Request.Path + QueryString.Create("returnUrl", ReturnUrl ?? "/account/manage/mfa") });
        }

        return null;
    }

    private void Show(PlintoUser user, byte[] secret)
    {
        Setup = protector.Protect($"{user.Id}|{Base32.Encode(secret)}", TimeSpan.FromMinutes(15));
        var key = Base32.Encode(secret);
        ManualKey = string.Join(' ', key.Chunk(4).Select(c => new string(c)));
        var uri = Totp.KeyUri(options.Value.AuthenticatorIssuer, user.Email ?? user.UserName ?? user.Id, secret);
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        QrCodeDataUri = "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(5));
        ModelState.Remove(nameof(Setup));
    }

    private byte[]? ReadSetup(PlintoUser user)
    {
        try
        {
            var parts = protector.Unprotect(Setup).Split('|');
            return parts.Length == 2 && parts[0] == user.Id ? Base32.Decode(parts[1]) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
