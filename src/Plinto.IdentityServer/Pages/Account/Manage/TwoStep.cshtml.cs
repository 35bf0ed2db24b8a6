using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>Second factors in the account center: status, new recovery codes, turning it off (with the password).</summary>
internal sealed class TwoStepModel(
    UserManager<PlintoUser> users,
    SecondFactors factors,
    UserSessions sessions,
    Plinto.IdentityServer.Account.Email.AccountEmailSender email,
    TimeProvider time,
    IOptions<MfaOptions> options,
    Plinto.IdentityServer.Account.Passwords.PasswordHashing hashing) : PageModel
{
    public bool Enrolled { get; private set; }

    public int RecoveryCodesLeft { get; private set; }

    public bool Required => options.Value.Required;

    public IReadOnlyList<string>? NewRecoveryCodes { get; private set; }

    [BindProperty]
    [DataType(DataType.Password)]
    [Display(Name = "Your password")]
    public string? Password { get; set; }

    public async Task OnGetAsync() => await LoadAsync(await CurrentUserAsync());

    public async Task<IActionResult> OnPostRegenerateAsync()
    {
        var user = await CurrentUserAsync();
        if (!await factors.HasAuthenticatorAsync(user))
        {
            return RedirectToPage();
        }

        // New codes are a second factor in themselves: only shortly after a sign-in, and the owner is told.
        if (!SessionClaims.IsRecent(User, time.GetUtcNow()))
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl = "/account/manage/mfa" });
        }

        await email.SendRecoveryCodesReplacedNoticeAsync(user.Email!);
        NewRecoveryCodes = await factors.ReplaceRecoveryCodesAsync(user);
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync()
    {
        var user = await CurrentUserAsync();
        if (Required)
        {
            return RedirectToPage();
        }

        if (string.IsNullOrEmpty(Password) || await users.IsLockedOutAsync(user) || !await hashing.CheckAsync(users, user, Password, HttpContext.RequestAborted))
        {
            if (!string.IsNullOrEmpty(Password))
            {
                await users.AccessFailedAsync(user);
            }

            ModelState.AddModelError(nameof(Password), "Your password is not right.");
            await LoadAsync(user);
            return Page();
        }

        await factors.DisableAsync(user);
        await sessions.EndOtherSessionsAsync(user);
        TempData["Status"] = "Two-step verification is off.";
        return RedirectToPage();
    }

    private async Task<PlintoUser> CurrentUserAsync() =>
        await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");

    private async Task LoadAsync(PlintoUser user)
    {
        // This page is about the authenticator app (and its recovery codes); passkeys have their own page.
        Enrolled = await factors.HasAuthenticatorAsync(user);
        RecoveryCodesLeft = Enrolled ? await factors.CountRecoveryCodesAsync(user) : 0;
    }
}
