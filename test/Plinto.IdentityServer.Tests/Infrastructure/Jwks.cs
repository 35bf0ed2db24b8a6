using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Validates tokens the way a relying party or resource server does: with the published JWKS only.</summary>
internal static class Jwks
{
    public static async Task<JsonWebKeySet> FetchAsync(HttpClient client) =>
        new(await client.GetStringAsync("/.well-known/jwks"));

    public static async Task<TokenValidationResult> ValidateAsync(
        HttpClient client, string token, string audience, string? type = null, string[]? algorithms = null)
    {
        var keys = await FetchAsync(client);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "https://localhost/",
            ValidAudience = audience,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = algorithms ?? [SecurityAlgorithms.RsaSha256],
            ValidTypes = type is null ? null : [type],
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(5),
        };
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
    }

    public static string Claim(this TokenValidationResult result, string type) =>
        result.ClaimsIdentity.FindFirst(type)?.Value ?? throw new AssertionException($"No {type} claim in the token.");

    public static IEnumerable<Claim> Claims(this TokenValidationResult result, string type) => result.ClaimsIdentity.FindAll(type);
}
