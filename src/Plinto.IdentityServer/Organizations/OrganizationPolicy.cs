using Plinto.IdentityServer.Account.Mfa;

namespace Plinto.IdentityServer.Organizations;

/// <summary>What an organization's sign-in policies still ask of a session.</summary>
internal enum PolicyOutcome
{
    Satisfied,

    /// <summary>The session was started with a first factor the organization does not accept.</summary>
    MethodNotAllowed,

    /// <summary>The last authentication is older than the organization's session lifetime.</summary>
    SessionTooOld,

    /// <summary>The organization requires a second factor and the session has none.</summary>
    NeedsSecondFactor,
}

/// <summary>
/// The per-organization policies, evaluated the same way when tokens are first issued for the organization, on
/// an organization switch, and at every refresh (a policy tightened later applies to existing grants too).
/// </summary>
internal static class OrganizationPolicy
{
    /// <param name="externalOrganizationId">The organization whose IdP authenticated an "ext" session.</param>
    public static PolicyOutcome Evaluate(
        Organization organization, IReadOnlyCollection<string> methods, DateTimeOffset authenticatedAt, DateTimeOffset now, string? externalOrganizationId = null)
    {
        var method = SignInMethodNames.FromAuthenticationMethods(methods);
        if (method == SignInMethods.Saml && externalOrganizationId != organization.Id)
        {
            // Single sign-on at another organization's IdP is not this organization's SAML.
            method = SignInMethods.None;
        }

        if ((method & organization.AllowedMethods) == SignInMethods.None)
        {
            return PolicyOutcome.MethodNotAllowed;
        }

        if (organization.SessionLifetimeMinutes is { } minutes && now - authenticatedAt > TimeSpan.FromMinutes(minutes))
        {
            return PolicyOutcome.SessionTooOld;
        }

        return organization.RequireMfa && !AuthenticationContext.IsMultiFactor(methods)
            ? PolicyOutcome.NeedsSecondFactor
            : PolicyOutcome.Satisfied;
    }

    /// <summary>The methods an organization accepts, for people ("a passkey or SAML single sign-on").</summary>
    public static string Describe(SignInMethods methods) => string.Join(" or ", SignInMethodNames.ToNames(methods).Select(m => m switch
    {
        SignInMethodNames.Password => "a password",
        SignInMethodNames.Passkey => "a passkey",
        SignInMethodNames.EmailCode => "a code sent by email",
        _ => "single sign-on (SAML)",
    }));
}
