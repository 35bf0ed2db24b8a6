using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account;

/// <summary>
/// The link sent to a new address. Works without a session (the token proves the request came from the account);
/// the change is Identity's (token checked, e-mail, confirmed flag and security stamp in one update), then the
/// user name follows and every session ends.
/// </summary>
internal sealed class ConfirmEmailChangeModel(
    UserManager<PlintoUser> users, UserSessions sessions, Plinto.IdentityServer.Organizations.OrganizationMemberships memberships) : PageModel
{
    public bool Succeeded { get; private set; }

    public string Email { get; private set; } = string.Empty;

    public async Task OnGetAsync(string? userId, string? email, string? code)
    {
        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(email) || string.IsNullOrEmpty(code)
            || await users.FindByIdAsync(userId) is not { } user)
        {
            return;
        }

        string token;
        try
        {
            token = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(code));
        }
        catch (FormatException)
        {
            return;
        }

        // Someone may have taken the address since the link was sent.
        if (await users.FindByEmailAsync(email) is { } owner && owner.Id != user.Id)
        {
            return;
        }

        if (!(await users.ChangeEmailAsync(user, email, token)).Succeeded)
        {
            return;
        }

        // The user name is the address (sign-in looks it up by e-mail, and they must stay equal).
        await users.SetUserNameAsync(user, email);
        await sessions.RevokeAllAsync(user.Id, keep: null);
        // A newly proven address may be on a verified domain: auto-join as after a sign-up.
        await memberships.AutoJoinAsync(user, HttpContext.RequestAborted);
        Succeeded = true;
        Email = email;
    }
}
