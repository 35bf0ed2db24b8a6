using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Primitives;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// OIDC Core §3.1.2.1 <c>ui_locales</c>: the client's space-separated language preference, read from the
/// authorization request itself or from the request a sign-in page will resume. Unsupported values fall through
/// to the browser's Accept-Language and then English; per the spec they are never an error.
/// </summary>
internal sealed class UiLocalesRequestCultureProvider : RequestCultureProvider
{
    public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
    {
        var request = httpContext.Request;
        var value = request.Query["ui_locales"].ToString();
        if (string.IsNullOrEmpty(value))
        {
            value = AccountLinks.ReadAuthorizationParameter(request.Query["ReturnUrl"].ToString(), "ui_locales") ?? string.Empty;
        }

        var locales = value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Take(10)
            .Select(l => new StringSegment(l))
            .ToList();
        return Task.FromResult(locales.Count == 0 ? null : new ProviderCultureResult(locales));
    }
}
