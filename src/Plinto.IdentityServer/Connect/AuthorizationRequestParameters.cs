using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;

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
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var (name, parameter) in request.GetParameters())
        {
            if (name is DecisionField or AntiforgeryField)
            {
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

    public static string ToUrl(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        QueryHelpers.AddQueryString(path, fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)));
}
