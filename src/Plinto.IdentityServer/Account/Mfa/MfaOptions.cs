namespace Plinto.IdentityServer.Account.Mfa;

/// <summary>Bound to <c>Plinto:Mfa</c>.</summary>
internal sealed class MfaOptions
{
    public const string Section = "Plinto:Mfa";

    /// <summary>Every sign-in needs a second factor; an account without one enrols at its next sign-in.</summary>
    public bool Required { get; set; }

    /// <summary>The issuer name authenticator apps show next to the account.</summary>
    public string AuthenticatorIssuer { get; set; } = "Plinto";
}
