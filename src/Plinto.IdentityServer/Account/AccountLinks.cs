using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Account;

/// <summary>Return URLs and absolute links for the hosted account pages.</summary>
internal static class AccountLinks
{
    public const string AuthorizePath = "/connect/authorize";

    /// <summary>Only local URLs are followed after sign-in; anything else goes home (no open redirect).</summary>
    public static string SafeReturnUrl(this IUrlHelper url, string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && url.IsLocalUrl(returnUrl) ? returnUrl : "/";

    /// <summary>Reads a parameter (login_hint, ui_locales, client_id) of the authorization request a return URL resumes.</summary>
    public static string? ReadAuthorizationParameter(string? returnUrl, string name)
    {
        if (string.IsNullOrEmpty(returnUrl) || !returnUrl.StartsWith(AuthorizePath, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var query = returnUrl.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? null : QueryHelpers.ParseQuery(returnUrl[query..]).TryGetValue(name, out var value) ? value.ToString() : null;
    }

    /// <summary>
    /// Absolute URL for a link sent by e-mail: from <c>Plinto:Issuer</c>, which is required outside development.
    /// Only local development builds it from the request (whose Host header an attacker could choose).
    /// </summary>
    public static string Absolute(HttpContext context, string relativeUrl)
    {
        var issuer = context.RequestServices.GetRequiredService<IOptions<PlintoHostOptions>>().Value.Issuer;
        var origin = issuer is not null
            ? issuer.GetLeftPart(UriPartial.Authority) + issuer.AbsolutePath.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return origin + relativeUrl;
    }
}

/// <summary>
/// Makes "no such account" take as long as "wrong password": the same PBKDF2 work runs either way, so response
/// time does not reveal which e-mail addresses have accounts (OWASP ASVS 5.0 V6.3).
/// </summary>
internal sealed class PasswordTimingEqualizer(IOptions<PasswordHasherOptions> options)
{
    private readonly Lazy<(PasswordHasher<PlintoUser> Hasher, string Hash)> dummy = new(() =>
    {
        var hasher = new PasswordHasher<PlintoUser>(options);
        return (hasher, hasher.HashPassword(new PlintoUser(), Guid.NewGuid().ToString()));
    });

    public PasswordVerificationResult SpendPasswordCheck(string password) =>
        dummy.Value.Hasher.VerifyHashedPassword(new PlintoUser(), dummy.Value.Hash, password);
}
