namespace Plinto.IdentityServer.Account.Mfa;

/// <summary>
/// Authentication context class references (OIDC Core §2 <c>acr</c>, §3.1.2.1 <c>acr_values</c>) that Plinto
/// understands. Asking for any of the multi-factor values makes a sign-in (or a step-up) use a second factor.
/// </summary>
internal static class AuthenticationContext
{
    public const string SingleFactor = "urn:plinto:acr:1fa";
    public const string MultiFactor = "urn:plinto:acr:mfa";

    /// <summary>Also accepted in <c>acr_values</c>: the OpenID PAPE multi-factor policy, and the short form many clients send.</summary>
    public static readonly string[] MultiFactorAliases = [MultiFactor, "http://schemas.openid.net/pape/policies/2007/06/multi-factor", "mfa"];

    public static readonly string[] Supported = [SingleFactor, MultiFactor];

    public static bool RequestsMultiFactor(string? acrValues) =>
        !string.IsNullOrWhiteSpace(acrValues)
        && acrValues.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(v => MultiFactorAliases.Contains(v, StringComparer.Ordinal));

    public static bool IsMultiFactor(IEnumerable<string> methods) => methods.Contains("mfa", StringComparer.Ordinal);

    public static string For(IEnumerable<string> methods) => IsMultiFactor(methods) ? MultiFactor : SingleFactor;
}
