using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Organizations;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Pages.Connect;

/// <summary>
/// The authorization endpoint after OpenIddict validated the request (client, redirect_uri exact match, PKCE,
/// response type). Decides between: sign in first, ask for consent, or issue the code (OIDC Core §3.1.2).
/// Clients may POST authorization requests (OIDC Core §3.1.2.1), so the page does not demand an antiforgery
/// token in general; a consent decision is only accepted with a valid one.
/// </summary>
[IgnoreAntiforgeryToken]
internal sealed class AuthorizeModel(
    IOpenIddictApplicationManager applications,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictScopeManager scopes,
    UserManager<PlintoUser> users,
    SignInManager<PlintoUser> signInManager,
    PlintoPrincipalFactory principals,
    IAntiforgery antiforgery,
    IDataProtectionProvider dataProtection,
    MfaSignIn mfa,
    OrganizationMemberships memberships,
    TimeProvider time) : PageModel
{
    private readonly ITimeLimitedDataProtector reauthentication =
        dataProtection.CreateProtector("Plinto.Connect.Reauthentication").ToTimeLimitedDataProtector();

    public string ClientName { get; private set; } = string.Empty;

    public IReadOnlyList<string> ScopeDescriptions { get; private set; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; private set; } = [];

    /// <summary>Set when the person must pick the organization to sign in to.</summary>
    public IReadOnlyList<Organization> OrganizationChoices { get; private set; } = [];

    /// <summary>Set when an organization's policy refuses how this session signed in.</summary>
    public string? PolicyNotice { get; private set; }

    public string? SignInAgainUrl { get; private set; }

    private System.Collections.Immutable.ImmutableArray<string> requestedScopes = [];

    /// <summary>The scope parameter that picks <paramref name="slug"/> (the picker's buttons).</summary>
    public string ScopeFor(string slug) => AuthorizationRequestParameters.WithOrganization(requestedScopes, slug);

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => HandleAsync(decision: null, cancellationToken);

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) =>
        HandleAsync(Request.HasFormContentType ? Request.Form[AuthorizationRequestParameters.DecisionField].ToString() : null, cancellationToken);

    private async Task<IActionResult> HandleAsync(string? decision, CancellationToken cancellationToken)
    {
        var request = HttpContext.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");

        var session = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = session.Succeeded ? await users.GetUserAsync(session.Principal!) : null;
        var authenticatedAt = session.Succeeded ? SessionClaims.ReadAuthenticationTime(session.Principal!) : null;
        if (user is null || authenticatedAt is null || MustReauthenticate(request, authenticatedAt.Value))
        {
            // OIDC Core §3.1.2.1: prompt=none must never show UI.
            if (request.HasPromptValue(PromptValues.None))
            {
                return Reject(Errors.LoginRequired, "The user is not signed in.");
            }

            return Challenge(new AuthenticationProperties { RedirectUri = SignInAgainReturnUrl(request) }, IdentityConstants.ApplicationScheme);
        }

        // Organizations (scope "organization"): the requested one, the only one, or the person's choice; then its
        // policies, which may ask for a fresh sign-in or a second factor before anything is issued.
        var sessionMethods = ConnectEndpoints.ReadAuthenticationMethods(session.Principal!);
        OrganizationContext? organization = null;
        if (request.HasScope(OrganizationScopes.Organization))
        {
            var (chosen, stop) = await ChooseOrganizationAsync(request, user, cancellationToken);
            if (stop is not null)
            {
                return stop;
            }

            organization = chosen!;
            switch (OrganizationPolicy.Evaluate(organization.Organization, sessionMethods, authenticatedAt.Value, time.GetUtcNow(),
                session.Principal!.FindFirst(SessionClaims.ExternalOrganization)?.Value))
            {
                case PolicyOutcome.SessionTooOld when request.HasPromptValue(PromptValues.None):
                case PolicyOutcome.MethodNotAllowed when request.HasPromptValue(PromptValues.None):
                    return Reject(Errors.LoginRequired, "The organization's sign-in policy requires signing in again.");
                case PolicyOutcome.SessionTooOld:
                    return Challenge(new AuthenticationProperties { RedirectUri = SignInAgainReturnUrl(request) }, IdentityConstants.ApplicationScheme);
                case PolicyOutcome.MethodNotAllowed:
                    PolicyNotice = $"{organization.Organization.Name} requires signing in with {OrganizationPolicy.Describe(organization.Organization.AllowedMethods)}.";
                    SignInAgainUrl = Url.Page("/Account/SignIn", new { ReturnUrl = SignInAgainReturnUrl(request) });
                    return Page();
            }
        }

        // Step-up (OIDC Core §3.1.2.1 acr_values, and the MFA policy): a session without a second factor gets one
        // before anything is issued. A voluntary claim: the ID token's acr says what was actually done.
        if (mfa.IsRequired(user, AuthenticationContext.RequestsMultiFactor(request.AcrValues) || organization?.Organization.RequireMfa == true)
            && !AuthenticationContext.IsMultiFactor(sessionMethods))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Reject(Errors.InteractionRequired, "A second factor is required.");
            }

            var returnUrl = AuthorizationRequestParameters.ToUrl(Request.PathBase + Request.Path, AuthorizationRequestParameters.Flatten(request));
            return RedirectToPage("/Account/Mfa", new { ReturnUrl = returnUrl });
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("The client was validated but cannot be found.");
        var applicationId = await applications.GetIdAsync(application, cancellationToken);
        var subject = await users.GetUserIdAsync(user);
        var remembered = new List<object>();
        await foreach (var authorization in authorizations.FindAsync(
            subject, applicationId!, Statuses.Valid, AuthorizationTypes.Permanent, request.GetScopes(), cancellationToken))
        {
            remembered.Add(authorization);
        }

        if (!string.IsNullOrEmpty(decision))
        {
            if (!await antiforgery.IsRequestValidAsync(HttpContext))
            {
                // Not sent to the client: a forged decision must not even produce an error redirect.
                return BadRequest();
            }

            return decision == "accept"
                ? await IssueAsync(request, user, session, applicationId!, remembered: null, organization, cancellationToken)
                : Reject(Errors.AccessDenied, "The user denied the request.");
        }

        var consentType = await applications.GetConsentTypeAsync(application, cancellationToken);
        var consented = consentType == ConsentTypes.Implicit
            || (consentType == ConsentTypes.Explicit && remembered.Count > 0 && !request.HasPromptValue(PromptValues.Consent));
        if (consented)
        {
            return await IssueAsync(request, user, session, applicationId!, remembered.LastOrDefault(), organization, cancellationToken);
        }

        if (request.HasPromptValue(PromptValues.None))
        {
            return Reject(Errors.ConsentRequired, "The user has not granted this application access yet.");
        }

        ClientName = await applications.GetLocalizedDisplayNameAsync(application, cancellationToken) ?? request.ClientId!;
        ScopeDescriptions = await DescribeScopesAsync(request, cancellationToken);
        Fields = AuthorizationRequestParameters.Flatten(request);
        return Page();
    }

    /// <summary>
    /// Where the sign-in page sends the person back: this request, marked with when Plinto asked, so that only a
    /// sign-in after that moment satisfies prompt=login, max_age or an organization's session lifetime.
    /// </summary>
    private string SignInAgainReturnUrl(OpenIddictRequest request)
    {
        var fields = AuthorizationRequestParameters.Flatten(request)
            .Where(f => f.Key != AuthorizationRequestParameters.ReauthenticationField)
            .Append(new(AuthorizationRequestParameters.ReauthenticationField,
                reauthentication.Protect(time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), TimeSpan.FromMinutes(30))));
        return AuthorizationRequestParameters.ToUrl(Request.PathBase + Request.Path, fields);
    }

    /// <summary>
    /// The organization to issue tokens for: the requested one (organization:{slug}, or the picker's answer) when the
    /// person is a member of it; otherwise the only one; otherwise the picker (prompt=select_account always shows it).
    /// </summary>
    private async Task<(OrganizationContext? Organization, IActionResult? Stop)> ChooseOrganizationAsync(
        OpenIddictRequest request, PlintoUser user, CancellationToken cancellationToken)
    {
        if (request.GetParameter(OrganizationScopes.RequestParameter)?.ToString() is { Length: > 0 } slug)
        {
            // Not a member and no such organization look the same: nobody learns which organizations exist.
            return await memberships.FindAsync(user.Id, id: null, slug, cancellationToken) is { } requested
                ? (requested, null)
                : (null, Reject(Errors.AccessDenied, "The account is not a member of the requested organization."));
        }

        var mine = await memberships.ListAsync(user.Id, cancellationToken);
        if (mine.Count == 0)
        {
            return (null, Reject(Errors.AccessDenied, "The account does not belong to any organization."));
        }

        if (mine.Count == 1 && !request.HasPromptValue("select_account"))
        {
            return (await memberships.FindAsync(user.Id, mine[0].Id, slug: null, cancellationToken), null);
        }

        if (request.HasPromptValue(PromptValues.None))
        {
            // OIDC Core §3.1.2.6: the choice needs the person.
            return (null, Reject("account_selection_required", "Choose an organization: send organization:{slug}, or allow the picker."));
        }

        OrganizationChoices = mine;
        // The choice comes back as a new request: without select_account (or the picker would show again), with
        // every other prompt value (login, consent) kept.
        var prompts = (request.Prompt ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "select_account").ToList();
        // Each choice is a button carrying the scope with organization:{slug}, so the answer is an ordinary request.
        Fields = AuthorizationRequestParameters.Flatten(request).Where(f => f.Key is not (Parameters.Prompt or Parameters.Scope))
            .Concat(prompts.Count > 0 ? [new(Parameters.Prompt, string.Join(' ', prompts))] : Array.Empty<KeyValuePair<string, string>>())
            .ToList();
        requestedScopes = request.GetScopes();
        return (null, Page());
    }

    private bool MustReauthenticate(OpenIddictRequest request, DateTimeOffset authenticatedAt)
    {
        // OIDC Core §3.1.2.1 prompt=login, and max_age: the last authentication is older than allowed.
        var required = request.HasPromptValue(PromptValues.Login)
            || (request.MaxAge is { } maxAge
                && time.GetUtcNow() - authenticatedAt > TimeSpan.FromSeconds(Math.Clamp(maxAge, 0, int.MaxValue)));
        return required && !ReauthenticatedSinceChallenge(request, authenticatedAt);
    }

    /// <summary>True when this request carries our marker and the person signed in after it was issued.</summary>
    private bool ReauthenticatedSinceChallenge(OpenIddictRequest request, DateTimeOffset authenticatedAt)
    {
        if (request.GetParameter(AuthorizationRequestParameters.ReauthenticationField)?.ToString() is not { Length: > 0 } marker)
        {
            return false;
        }

        try
        {
            var challengedAt = long.Parse(reauthentication.Unprotect(marker), CultureInfo.InvariantCulture);
            return authenticatedAt.ToUnixTimeMilliseconds() > challengedAt;
        }
        catch (CryptographicException)
        {
            return false; // forged, or older than its lifetime
        }
    }

    private async Task<IActionResult> IssueAsync(
        OpenIddictRequest request, PlintoUser user, AuthenticateResult session, string applicationId, object? remembered,
        OrganizationContext? organization, CancellationToken cancellationToken)
    {
        var principal = await principals.CreateForUserAsync(
            user, request.GetScopes(), SessionClaims.ReadAuthenticationTime(session.Principal!)!.Value,
            ConnectEndpoints.ReadAuthenticationMethods(session.Principal!), UserSessions.CurrentId(session.Principal!),
            organization, cancellationToken, session.Principal!.FindFirst(SessionClaims.ExternalOrganization)?.Value);

        // A permanent authorization remembers the consent; tokens hang off it so they can be revoked together.
        var subject = await users.GetUserIdAsync(user);
        remembered ??= await authorizations.CreateAsync(
            principal, subject, applicationId, AuthorizationTypes.Permanent, principal.GetScopes(), cancellationToken);
        principal.SetAuthorizationId(await authorizations.GetIdAsync(remembered, cancellationToken));
        if (organization is not null)
        {
            // Tokens for an organization hang off their own authorization, linked to it: leaving the organization
            // (or being removed) revokes exactly these, and nothing the person holds elsewhere.
            var forOrganization = await authorizations.CreateAsync(
                principal, subject, applicationId, AuthorizationTypes.AdHoc, principal.GetScopes(), cancellationToken);
            var authorizationId = await authorizations.GetIdAsync(forOrganization, cancellationToken);
            await memberships.LinkGrantAsync(authorizationId!, organization.Id, subject, cancellationToken);
            principal.SetAuthorizationId(authorizationId);
        }

        if (!await signInManager.CanSignInAsync(user))
        {
            return Reject(Errors.AccessDenied, "This account cannot sign in.");
        }

        return SignIn(principal, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<IReadOnlyList<string>> DescribeScopesAsync(OpenIddictRequest request, CancellationToken cancellationToken)
    {
        var descriptions = new List<string>();
        foreach (var scope in request.GetScopes())
        {
            descriptions.Add(scope switch
            {
                Scopes.OpenId => "Know who you are",
                Scopes.Profile => "See your name",
                Scopes.Email => "See your email address",
                Scopes.OfflineAccess => "Stay connected when you are not using it",
                OrganizationScopes.Organization => "Know which organization you sign in to, and your roles there",
                OrganizationScopes.OrganizationAdmin => "Manage the organization with your permissions there",
                OrganizationScopes.PlatformAdmin => "Administer this sign-in service (administrators only)",
                _ => await scopes.FindByNameAsync(scope, cancellationToken) is { } entity
                    ? await scopes.GetLocalizedDisplayNameAsync(entity, cancellationToken) ?? scope
                    : scope,
            });
        }

        return descriptions;
    }

    private ForbidResult Reject(string error, string description) =>
        Forbid(ProtocolErrors.Properties(error, description), OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
