namespace Plinto.IdentityServer.Connect;

/// <summary>Bound to <c>Plinto:Tokens</c>.</summary>
internal sealed class TokenOptions
{
    public const string Section = "Plinto:Tokens";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>RFC 9700 §2.1.1 / OAuth 2.1 §4.1.2: codes are short-lived; 60 s is the recommended ceiling.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Lifetime of each refresh token; every use rotates it and restarts this clock.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// Ceiling for a whole refresh token chain, counted from the sign-in that started it (RFC 9700 §4.14.2);
    /// after it the user signs in again however active the client has been.
    /// </summary>
    public TimeSpan RefreshTokenAbsoluteLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Grace period in which a just-rotated refresh token may be presented again (lost responses); outside it a
    /// reuse revokes the whole chain (RFC 9700 §4.14.2).
    /// </summary>
    public TimeSpan RefreshTokenReuseLeeway { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Encrypt JWT access tokens (JWE). Off by default so resource servers need only the JWKS.</summary>
    public bool EncryptAccessTokens { get; set; }

    /// <summary>
    /// Write a database row for each client_credentials access token, which makes it revocable (RFC 7009). Off by
    /// default: such tokens are short-lived JWTs checked by resource servers without calling us.
    /// </summary>
    public bool StoreClientCredentialsAccessTokens { get; set; }

    /// <summary>
    /// Answer plain client_credentials requests (a secret, API scopes) before OpenIddict's generic pipeline, with the
    /// same rules and the same tokens (<see cref="ClientCredentialsGrant"/>). Off only to compare the two paths.
    /// </summary>
    public bool ClientCredentialsFastPath { get; set; } = true;

    /// <summary>
    /// How long a node keeps clients and scope audiences in memory. Changes made through the node clear it at
    /// once; other nodes see them after this at most. Zero turns the cache off.
    /// </summary>
    public TimeSpan CatalogCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
