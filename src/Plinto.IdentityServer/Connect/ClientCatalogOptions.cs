using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>Clients and API scopes declared in configuration (<c>Plinto:Clients</c>, <c>Plinto:Scopes</c>).</summary>
internal sealed class ClientCatalogOptions
{
    public List<ClientRegistration> Clients { get; set; } = [];

    public List<ScopeRegistration> Scopes { get; set; } = [];
}

internal sealed class ClientRegistration
{
    public string? ClientId { get; set; }

    /// <summary>Absent: a public client (PKCE required). Stored hashed by OpenIddict.</summary>
    public string? ClientSecret { get; set; }

    public string? DisplayName { get; set; }

    public List<string> RedirectUris { get; set; } = [];

    public List<string> PostLogoutRedirectUris { get; set; } = [];

    public List<string> GrantTypes { get; set; } = [];

    public List<string> Scopes { get; set; } = [];

    public string? ConsentType { get; set; }

    /// <summary>
    /// The client's login initiation endpoint (OIDC Core §4, third-party initiated login): where Plinto sends people
    /// who signed in at their organization's IdP first (IdP-initiated SAML), with <c>iss</c> and <c>login_hint</c>.
    /// </summary>
    public string? InitiateLoginUri { get; set; }

    public IReadOnlyList<string> EffectiveGrantTypes => GrantTypes.Count > 0 ? GrantTypes : [OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.AuthorizationCode];

    public IReadOnlyList<string> EffectiveScopes => Scopes.Count > 0 ? Scopes : [OpenIddict.Abstractions.OpenIddictConstants.Scopes.OpenId];

    public string EffectiveConsentType => string.IsNullOrEmpty(ConsentType) ? ConsentTypes.Explicit : ConsentType.ToLowerInvariant();
}

internal sealed class ScopeRegistration
{
    public string? Name { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>Audiences (<c>aud</c>) of access tokens that carry this scope.</summary>
    public List<string> Resources { get; set; } = [];
}

/// <summary>Rejects a bad catalog at start, naming the exact key, so a typo never becomes a silent misconfiguration.</summary>
internal sealed class ValidateClientCatalogOptions : IValidateOptions<ClientCatalogOptions>
{
    public const int MinimumSecretLength = 32;

    private static readonly string[] SupportedGrantTypes =
        [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.ClientCredentials];

    private static readonly string[] SupportedConsentTypes =
        [ConsentTypes.Implicit, ConsentTypes.Explicit, ConsentTypes.Systematic];

    public static readonly string[] StandardScopes =
        [Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess, .. Organizations.OrganizationScopes.All];

    public ValidateOptionsResult Validate(string? name, ClientCatalogOptions options)
    {
        var failures = new List<string>();
        var declaredScopes = new HashSet<string>(StandardScopes, StringComparer.Ordinal);

        for (var i = 0; i < options.Scopes.Count; i++)
        {
            var scope = options.Scopes[i];
            var key = $"Plinto:Scopes:{i}";
            if (string.IsNullOrWhiteSpace(scope.Name) || scope.Name.Any(char.IsWhiteSpace))
            {
                failures.Add($"{key}:Name is required and cannot contain spaces.");
            }
            else if (!declaredScopes.Add(scope.Name))
            {
                failures.Add($"{key}:Name '{scope.Name}' is declared twice or is a standard scope.");
            }
        }

        var clientIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Clients.Count; i++)
        {
            ValidateClient(options.Clients[i], $"Plinto:Clients:{i}", clientIds, declaredScopes, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateClient(ClientRegistration client, string key, HashSet<string> clientIds, HashSet<string> scopes, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(client.ClientId))
        {
            failures.Add($"{key}:ClientId is required.");
        }
        else if (!clientIds.Add(client.ClientId))
        {
            failures.Add($"{key}:ClientId '{client.ClientId}' is declared twice.");
        }

        var confidential = !string.IsNullOrEmpty(client.ClientSecret);
        if (confidential && client.ClientSecret!.Length < MinimumSecretLength)
        {
            failures.Add($"{key}:ClientSecret must be at least {MinimumSecretLength} characters of random data (for example: openssl rand -base64 32).");
        }

        for (var j = 0; j < client.GrantTypes.Count; j++)
        {
            if (!SupportedGrantTypes.Contains(client.GrantTypes[j], StringComparer.Ordinal))
            {
                failures.Add($"{key}:GrantTypes:{j} '{client.GrantTypes[j]}' is not supported; use {string.Join(", ", SupportedGrantTypes)}.");
            }
        }

        var grants = client.EffectiveGrantTypes;
        if (grants.Contains(GrantTypes.ClientCredentials) && !confidential)
        {
            failures.Add($"{key}:GrantTypes: client_credentials needs a ClientSecret (a public client cannot authenticate).");
        }

        if (grants.Contains(GrantTypes.AuthorizationCode) && client.RedirectUris.Count == 0)
        {
            failures.Add($"{key}:RedirectUris needs at least one URI for the authorization_code grant.");
        }

        ValidateUris(client.RedirectUris, $"{key}:RedirectUris", failures);
        if (client.InitiateLoginUri is not null)
        {
            // OIDC Core §4: the login initiation endpoint is https (a loopback http one is fine for development).
            if (!Uri.TryCreate(client.InitiateLoginUri, UriKind.Absolute, out var initiate) || initiate.Fragment.Length > 0
                || !(initiate.Scheme == Uri.UriSchemeHttps || (initiate.Scheme == Uri.UriSchemeHttp && initiate.IsLoopback)))
            {
                failures.Add($"{key}:InitiateLoginUri must be an https URL without a fragment.");
            }
        }

        ValidateUris(client.PostLogoutRedirectUris, $"{key}:PostLogoutRedirectUris", failures);

        for (var j = 0; j < client.Scopes.Count; j++)
        {
            if (!scopes.Contains(client.Scopes[j]))
            {
                failures.Add($"{key}:Scopes:{j} '{client.Scopes[j]}' is neither a standard scope nor declared under Plinto:Scopes.");
            }
        }

        if (!SupportedConsentTypes.Contains(client.EffectiveConsentType, StringComparer.Ordinal))
        {
            failures.Add($"{key}:ConsentType '{client.ConsentType}' is not supported; use implicit, explicit or systematic.");
        }
    }

    private static void ValidateUris(List<string> uris, string key, List<string> failures)
    {
        for (var j = 0; j < uris.Count; j++)
        {
            // RFC 6749 §3.1.2: an absolute URI without a fragment component.
            if (!Uri.TryCreate(uris[j], UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment))
            {
                failures.Add($"{key}:{j} '{uris[j]}' must be an absolute URI without a fragment.");
            }
        }
    }
}
