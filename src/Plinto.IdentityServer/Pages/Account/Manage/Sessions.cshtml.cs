using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>Active sessions and devices; revoke one, all others, or everything (sessions, then every token).</summary>
internal sealed class SessionsModel(
    UserManager<PlintoUser> users,
    UserSessions sessions,
    TimeProvider time) : PageModel
{
    public IReadOnlyList<UserSession> Sessions { get; private set; } = [];

    public string? CurrentId { get; private set; }

    public DateTimeOffset Now => time.GetUtcNow();

    public async Task OnGetAsync()
    {
        CurrentId = UserSessions.CurrentId(User);
        Sessions = await sessions.ListAsync(users.GetUserId(User)!);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string id)
    {
        // Scoped to the signed-in user: another account's session id does nothing.
        if (await sessions.EndAsync(users.GetUserId(User)!, id, signedOut: false))
        {
            TempData["Status"] = "That session was signed out.";
        }

        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeOthersAsync()
    {
        var count = await sessions.RevokeAllAsync(users.GetUserId(User)!, keep: UserSessions.CurrentId(User));
        TempData["Status"] = count == 1 ? "1 other session was signed out." : $"{count} other sessions were signed out.";
        return RedirectToPage();
    }

    /// <summary>Every session including this one, and every token of every application (a new security stamp, too).</summary>
    public async Task<IActionResult> OnPostEverywhereAsync()
    {
        var user = await users.GetUserAsync(User) ?? throw new InvalidOperationException("Signed in without an account.");
        await sessions.EndOtherSessionsAsync(user, keepThisBrowser: false);
        await sessions.SignOutAsync();
        return RedirectToPage("/Account/SignedOut");
    }
}
