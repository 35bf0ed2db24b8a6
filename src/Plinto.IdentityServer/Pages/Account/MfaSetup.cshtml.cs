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
    IOptions<MfaOptions> options) : PageModel
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

        if (await factors.HasAuthenticatorAsync(pending.User))
        {
            // One authenticator per account; replacing it starts from the account center (turn off, set up again).
            return RedirectToPage("/Account/Mfa", new { ReturnUrl });
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

        if (await factors.HasAuthenticatorAsync(pending.User))
        {
            return RedirectToPage("/Account/Mfa", new { ReturnUrl });
        }

        var codes = await factors.EnableAuthenticatorAsync(pending.User, secret, Code);
        if (codes is null)
        {
            ModelState.AddModelError(nameof(Code), "That code does not match. Check the time on your phone and enter the current code.");
            Show(pending.User, secret);
            return Page();
        }

        // The code just proved the second factor: the session now has both.
        await mfa.FinishAsync(pending, "otp");
        RecoveryCodes = codes;
        return Page();
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
