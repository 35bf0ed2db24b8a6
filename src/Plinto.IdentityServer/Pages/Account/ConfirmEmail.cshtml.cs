using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class ConfirmEmailModel(UserManager<PlintoUser> users, Plinto.IdentityServer.Organizations.OrganizationMemberships memberships) : PageModel
{
    public bool Confirmed { get; private set; }

    public string ContinueUrl { get; private set; } = "/";

    public async Task OnGetAsync(string? userId, string? code, string? returnUrl)
    {
        ContinueUrl = Url.Page("/Account/SignIn", new { returnUrl = Url.SafeReturnUrl(returnUrl) })!;
        if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(code) || await users.FindByIdAsync(userId) is not { } user)
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

        Confirmed = (await users.ConfirmEmailAsync(user, token)).Succeeded;
        if (Confirmed)
        {
            // Now that the address is proven: organizations that verified its domain and allow it take the person in.
            await memberships.AutoJoinAsync(user, HttpContext.RequestAborted);
        }
    }
}
