using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Connect;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Pages.Connect;

/// <summary>
/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2-3). OpenIddict has already checked that
/// post_logout_redirect_uri is registered for the client. With an id_token_hint for the current session the
/// sign-out happens at once; without one the person confirms, so a third-party page cannot sign them out.
/// </summary>
[IgnoreAntiforgeryToken]
internal sealed class EndSessionModel(SignInManager<PlintoUser> signInManager, UserSessions sessions, IAntiforgery antiforgery) : PageModel
{
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; private set; } = [];

    public Task<IActionResult> OnGetAsync() => HandleAsync(confirmed: false);

    public async Task<IActionResult> OnPostAsync()
    {
        var confirmed = Request.HasFormContentType
            && Request.Form[AuthorizationRequestParameters.DecisionField] == "signout"
            && await antiforgery.IsRequestValidAsync(HttpContext);
        return await HandleAsync(confirmed);
    }

    private async Task<IActionResult> HandleAsync(bool confirmed)
    {
        var request = HttpContext.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        var session = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var sessionSubject = session.Succeeded ? signInManager.UserManager.GetUserId(session.Principal!) : null;

        var hintSubject = request.IdTokenHint is null
            ? null
            : (await HttpContext.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)).Principal?.GetClaim(Claims.Subject);

        // No session visible (none, or a cross-site POST that did not carry the cookie): nothing to end, and no
        // cookie deletion either, or any site could sign people out. Just return to the client.
        if (sessionSubject is null)
        {
            return ReturnToClient();
        }

        // The person confirmed on our page, or the client proved it knows this very session.
        if (confirmed || (hintSubject is not null && hintSubject == sessionSubject))
        {
            await sessions.SignOutAsync();
            return ReturnToClient();
        }

        Fields = AuthorizationRequestParameters.Flatten(request);
        return Page();
    }

    // OpenIddict redirects to the validated post_logout_redirect_uri (with state), or to our page without one.
    private SignOutResult ReturnToClient() =>
        SignOut(new AuthenticationProperties { RedirectUri = "/account/signed-out" }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
