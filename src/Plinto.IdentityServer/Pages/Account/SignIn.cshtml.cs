using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class SignInModel(
    PasswordSignIn passwordSignIn,
    Plinto.IdentityServer.Account.Passkeys.Passkeys passkeys,
    Plinto.IdentityServer.Account.Sessions.UserSessions sessions,
    Microsoft.AspNetCore.Identity.SignInManager<PlintoUser> signInManager,
    IOpenIddictApplicationManager applications,
    Plinto.IdentityServer.Organizations.OrganizationAdministration organizations,
    Plinto.IdentityServer.Federation.Saml.SamlConnections samlConnections) : PageModel
{
    public const string FailureMessage = "Email or password is incorrect.";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool ShowConfirmationHint { get; private set; }

    public bool PasskeyFailed { get; private set; }

    /// <summary>The application the person is signing in to, when an authorization request brought them here.</summary>
    public string? ClientName { get; private set; }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address.")]
        [EmailAddress(ErrorMessage = "Enter a valid email address.")]
        [Display(Name = "Email")]
        public string Email { get; set; } = string.Empty;

        [Required(ErrorMessage = "Enter your password.")]
        [DataType(DataType.Password)]
        [Display(Name = "Password")]
        public string Password { get; set; } = string.Empty;

        [Display(Name = "Keep me signed in")]
        public bool RememberMe { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(string? error)
    {
        // A client may name the organization's connection (plinto_connection) or hint an address on an SSO domain:
        // straight to the IdP, no password form.
        // The hint counts only for the organization the request asks for (organization:{slug}): a link naming some
        // other tenant's connection must not send people to that tenant's login page.
        if (AccountLinks.ReadAuthorizationParameter(ReturnUrl, "plinto_connection") is { Length: > 0 and <= 64 } connection
            && RequestedOrganization() is { } slug
            && await samlConnections.BelongsToAsync(connection, slug, HttpContext.RequestAborted))
        {
            return SingleSignOn(connection);
        }

        // OIDC Core §3.1.2.1 login_hint: prefill, never trust.
        Input.Email = AccountLinks.ReadAuthorizationParameter(ReturnUrl, "login_hint") ?? string.Empty;
        if (await samlConnections.FindForEmailAsync(Input.Email, HttpContext.RequestAborted) is { } hinted)
        {
            return SingleSignOn(hinted);
        }

        if (error == "sso")
        {
            // The reason is in the log; the page says what the person can do.
            ModelState.AddModelError(string.Empty, "Single sign-on with your organization did not work. Try again, or ask your administrator.");
        }

        await DescribeClientAsync();
        return Page();
    }

    /// <summary>The organization the authorization request asks for (its organization:{slug} scope), if any.</summary>
    private string? RequestedOrganization() =>
        (AccountLinks.ReadAuthorizationParameter(ReturnUrl, OpenIddictConstants.Parameters.Scope) ?? string.Empty)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s.StartsWith(Plinto.IdentityServer.Organizations.OrganizationScopes.SpecificPrefix, StringComparison.Ordinal))
            .Select(s => s[Plinto.IdentityServer.Organizations.OrganizationScopes.SpecificPrefix.Length..])
            .FirstOrDefault(Plinto.IdentityServer.Organizations.OrganizationSlug.IsValid);

    private RedirectResult SingleSignOn(string connectionId) =>
        Redirect($"/saml2/{Uri.EscapeDataString(connectionId)}/signin?returnUrl={Uri.EscapeDataString(Url.SafeReturnUrl(ReturnUrl))}");

    public async Task<IActionResult> OnPostAsync()
    {
        // Home-realm discovery: an address on a domain whose organization signs in with SAML goes to its IdP,
        // whatever was typed as a password (the password form is not for them).
        if (await samlConnections.FindForEmailAsync(Input.Email, HttpContext.RequestAborted) is { } connection)
        {
            return SingleSignOn(connection);
        }

        await DescribeClientAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var multiFactorRequested = AuthenticationContext.RequestsMultiFactor(AccountLinks.ReadAuthorizationParameter(ReturnUrl, "acr_values"));
        switch (await passwordSignIn.SignInAsync(Input.Email, Input.Password, Input.RememberMe, multiFactorRequested, HttpContext.RequestAborted))
        {
            case PasswordSignInOutcome.SignedIn:
                return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
            case PasswordSignInOutcome.SecondFactorRequired:
                return RedirectToPage("/Account/Mfa", new { ReturnUrl });
            case PasswordSignInOutcome.EnrollmentRequired:
                return RedirectToPage("/Account/MfaSetup", new { ReturnUrl });
            case PasswordSignInOutcome.Throttled:
                return this.TooManyAttempts("Too many attempts for this account. Wait a minute, then try again.");
            case PasswordSignInOutcome.EmailNotConfirmed:
                ShowConfirmationHint = true;
                ModelState.AddModelError(string.Empty, "Confirm your email address before signing in: use the link we sent you.");
                return Page();
            default:
                return Fail();
        }
    }

    /// <summary>"Continue with single sign-on": only the address counts; its organization's IdP takes over.</summary>
    public async Task<IActionResult> OnPostSsoAsync()
    {
        ModelState.Clear();
        if (await samlConnections.FindForEmailAsync(Input.Email, HttpContext.RequestAborted) is { } connection)
        {
            return SingleSignOn(connection);
        }

        await DescribeClientAsync();
        ModelState.AddModelError("Input.Email", "Single sign-on is not set up for this address. Sign in with your password, a passkey or a code.");
        return Page();
    }

    /// <summary>WebAuthn request options for any discoverable passkey (the button and the autofill).</summary>
    public async Task<IActionResult> OnGetPasskeyOptionsAsync() =>
        Content(await passkeys.RequestOptionsAsync(user: null), "application/json");

    /// <summary>Passwordless sign-in: a verified passkey with user verification is two factors by itself.</summary>
    public async Task<IActionResult> OnPostPasskeyAsync(string? credential)
    {
        ModelState.Clear(); // the password form's fields are not part of this post
        await DescribeClientAsync();
        var assertion = string.IsNullOrEmpty(credential) || credential.Length > 16_384 ? null : await passkeys.AssertAsync(credential, expectedUser: null);
        if (assertion is null)
        {
            PasskeyFailed = true;
            ModelState.AddModelError(string.Empty, "That passkey could not be used to sign in. Try again, or use your password.");
            return Page();
        }

        // A temporary lockout (someone's wrong passwords) does not stop a passkey, which cannot be guessed; a
        // deactivation does (AccountLockout).
        if (!await signInManager.CanSignInAsync(assertion.User) || await signInManager.UserManager.IsDeactivatedAsync(assertion.User))
        {
            PasskeyFailed = true;
            ModelState.AddModelError(string.Empty, "This account cannot sign in right now.");
            return Page();
        }

        await sessions.SignInAsync(assertion.User, assertion.Methods, remember: false);
        return LocalRedirect(Url.SafeReturnUrl(ReturnUrl));
    }

    private async Task DescribeClientAsync()
    {
        // Signing in for a given organization (organization:{slug}): its name, logo and colours on the page.
        if (RequestedOrganization() is { } slug)
        {
            ViewData["OrganizationTheme"] = await organizations.FindThemeAsync(slug, HttpContext.RequestAborted);
        }

        var clientId = AccountLinks.ReadAuthorizationParameter(ReturnUrl, "client_id");
        if (!string.IsNullOrEmpty(clientId) && clientId.Length <= 200
            && await applications.FindByClientIdAsync(clientId, HttpContext.RequestAborted) is { } application)
        {
            ClientName = await applications.GetLocalizedDisplayNameAsync(application, HttpContext.RequestAborted);
        }
    }

    private PageResult Fail()
    {
        ModelState.AddModelError(string.Empty, FailureMessage);
        return Page();
    }
}
