using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>Carries an authorization or end-session request across our own pages (sign-in, consent).</summary>
internal static class AuthorizationRequestParameters
{
    /// <summary>Form fields of our own pages; never forwarded as protocol parameters.</summary>
    public const string DecisionField = "plinto_decision";
    private const string AntiforgeryField = "__RequestVerificationToken";

    public static List<KeyValuePair<string, string>> Flatten(OpenIddictRequest request, bool forReauthentication = false)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var (name, parameter) in request.GetParameters())
        {
            if (name is DecisionField or AntiforgeryField)
            {
                continue;
            }

            if (forReauthentication && name == Parameters.MaxAge)
            {
                // The person is about to authenticate afresh, which satisfies any max_age (OIDC Core §3.1.2.1);
                // keeping it would loop for max_age=0.
                continue;
            }

            if (forReauthentication && name == Parameters.Prompt)
            {
                // Same for prompt=login: keep the other prompt values (consent) but not the one just honoured.
                var remaining = request.GetPromptValues().Remove(PromptValues.Login);
                if (!remaining.IsEmpty)
                {
                    fields.Add(new(name, string.Join(' ', remaining)));
                }

                continue;
            }

            var values = (System.Collections.Immutable.ImmutableArray<string?>?)parameter;
            foreach (var value in values ?? [])
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
