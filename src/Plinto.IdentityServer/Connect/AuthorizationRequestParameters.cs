using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Connect;

/// <summary>Carries an authorization or end-session request across our own pages (sign-in, consent).</summary>
internal static class AuthorizationRequestParameters
{
    /// <summary>Form field of the consent and sign-out pages; never forwarded as a protocol parameter.</summary>
    public const string DecisionField = "plinto_decision";

    /// <summary>
    /// Added when Plinto sends the person to sign in again for prompt=login or max_age: a data-protected
    /// timestamp T, satisfied only by a session whose auth_time is at or after T. Stripping prompt/max_age
    /// instead would let anyone at a signed-in browser skip the re-authentication by replaying the URL.
    /// </summary>
    public const string ReauthenticationField = "plinto_reauth";

    private const string AntiforgeryField = "__RequestVerificationToken";

    public static List<KeyValuePair<string, string>> Flatten(OpenIddictRequest request)
    {
        // The request as the client could have sent it: a requested organization goes back into the scope as
        // organization:{slug} (the parameter it was turned into is dropped at every entry).
        var organization = request.GetParameter(OrganizationScopes.RequestParameter)?.ToString();
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var (name, parameter) in request.GetParameters())
        {
            if (name is DecisionField or AntiforgeryField or OrganizationScopes.RequestParameter)
            {
                continue;
            }

            if (name == OpenIddictConstants.Parameters.Scope && organization is not null)
            {
                fields.Add(new(name, WithOrganization(request.GetScopes(), organization)));
                continue;
            }

            foreach (var value in (System.Collections.Immutable.ImmutableArray<string?>?)parameter ?? [])
            {
                if (value is not null)
                {
                    fields.Add(new(name, value));
                }
            }
        }

        return fields;
    }

    /// <summary>The scope value asking for one organization: <c>organization</c> replaced by <c>organization:{slug}</c>.</summary>
    public static string WithOrganization(IEnumerable<string> scopes, string slug) =>
        string.Join(' ', scopes.Where(s => s != OrganizationScopes.Organization).Append(OrganizationScopes.SpecificPrefix + slug));

    public static string ToUrl(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        QueryHelpers.AddQueryString(path, fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)));
}
