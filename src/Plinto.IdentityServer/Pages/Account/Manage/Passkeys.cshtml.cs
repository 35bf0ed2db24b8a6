using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Passkeys;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>
/// The account's passkeys: list, add, rename, remove. Adding and removing need a recent sign-in
/// (<see cref="SessionClaims.RecentWindow"/>).
/// </summary>
internal sealed class PasskeysModel(
    UserManager<PlintoUser> users,
    Passkeys passkeys,
    Plinto.IdentityServer.Account.Mfa.SecondFactors factors,
    Plinto.IdentityServer.Account.Sessions.UserSessions sessions,
    TimeProvider time) : PageModel
{
    public IReadOnlyList<PasskeyRow> Passkeys { get; private set; } = [];

    public bool RecentlyAuthenticated { get; private set; }

    /// <summary>The account has a second factor but this session did not use one: prove it before adding a passkey.</summary>
    public bool NeedsSecondStep { get; private set; }

    public int MaxPerUser => passkeys.MaxPerUser;

    public sealed record PasskeyRow(string Id, string Name, bool Synced, string Created);

    public async Task OnGetAsync() => await LoadAsync(await CurrentUserAsync());

    public async Task<IActionResult> OnGetCreationOptionsAsync()
    {
        var user = await CurrentUserAsync();
        if (!await MayAddAsync(user))
        {
            return Forbid();
        }

        return Content(await passkeys.CreationOptionsAsync(user), "application/json");
    }

    public async Task<IActionResult> OnPostAddAsync(string? credential, string? name)
    {
        var user = await CurrentUserAsync();
        if (!await MayAddAsync(user))
        {
            return RedirectToPage();
        }

        var (passkey, error) = string.IsNullOrEmpty(credential) || credential.Length > 65_536
            ? (null, "No passkey was received. Try again.")
            : await passkeys.RegisterAsync(user, credential, name);
        if (passkey is null)
        {
            ModelState.AddModelError(string.Empty, error!);
            await LoadAsync(user);
            return Page();
        }

        TempData["Status"] = $"Passkey \"{passkey.Name}\" added.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRenameAsync(string? id, string? name)
    {
        var user = await CurrentUserAsync();
        if (IsRecent() && Decode(id) is { } credentialId && !string.IsNullOrWhiteSpace(name)
            && await users.GetPasskeyAsync(user, credentialId) is { } passkey)
        {
            passkey.Name = name.Trim()[..Math.Min(name.Trim().Length, 64)];
            await users.AddOrUpdatePasskeyAsync(user, passkey);
            TempData["Status"] = "Passkey renamed.";
        }

        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? id)
    {
        var user = await CurrentUserAsync();
        if (IsRecent() && Decode(id) is { } credentialId && (await users.RemovePasskeyAsync(user, credentialId)).Succeeded)
        {
            // Whoever signed in with that passkey elsewhere is signed out, and their applications' grants end.
            await sessions.EndOtherSessionsAsync(user);
            TempData["Status"] = "Passkey removed. It can no longer sign in to your account.";
        }

        return RedirectToPage();
    }

    private async Task<bool> MayAddAsync(PlintoUser user) =>
        IsRecent() && (Plinto.IdentityServer.Account.Mfa.AuthenticationContext.IsMultiFactor(User.FindAll(SessionClaims.Methods).Select(c => c.Value))
            || !await factors.IsEnrolledAsync(user));

    private bool IsRecent() => SessionClaims.IsRecent(User, time.GetUtcNow());

    private async Task<PlintoUser> CurrentUserAsync() =>
        await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");

    private async Task LoadAsync(PlintoUser user)
    {
        RecentlyAuthenticated = IsRecent();
        NeedsSecondStep = RecentlyAuthenticated && !await MayAddAsync(user);
        Passkeys = (await users.GetPasskeysAsync(user))
            .OrderBy(p => p.CreatedAt)
            .Select(p => new PasskeyRow(WebEncoders.Base64UrlEncode(p.CredentialId), p.Name ?? "Passkey", p.IsBackupEligible,
                p.CreatedAt.ToString("d MMM yyyy", CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static byte[]? Decode(string? id)
    {
        try
        {
            return string.IsNullOrEmpty(id) || id.Length > 1400 ? null : WebEncoders.Base64UrlDecode(id);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
