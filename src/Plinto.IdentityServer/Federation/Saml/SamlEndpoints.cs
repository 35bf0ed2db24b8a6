using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.Saml2;

namespace Plinto.IdentityServer.Federation.Saml;

/// <summary>The SP endpoints of each connection: <c>/saml2/{id}/metadata</c>, <c>/saml2/{id}/signin</c>, <c>/saml2/{id}/acs</c>.</summary>
internal static class SamlEndpoints
{
    public static IEndpointRouteBuilder MapPlintoSaml(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var saml = endpoints.MapGroup("/saml2/{connectionId}").ExcludeFromDescription();

        saml.MapGet("/metadata", async (string connectionId, HttpContext context, PlintoDbContext db, CancellationToken ct) =>
        {
            if (!await db.Set<SamlConnection>().AnyAsync(c => c.Id == connectionId, ct))
            {
                return Results.NotFound();
            }

            var origin = AccountLinks.Absolute(context, string.Empty);
            var certificate = context.RequestServices.GetRequiredService<SamlServiceProvider>().SigningCertificate;
            return Results.Text(Saml2Metadata.WriteServiceProvider(SamlConnections.ServiceProviderEntityId(origin, connectionId),
                SamlConnections.AssertionConsumerServiceUrl(origin, connectionId), certificate), "application/samlmetadata+xml");
        });

        saml.MapGet("/signin", async (string connectionId, string? returnUrl, bool? force, HttpContext context, SamlSignIn signIn, CancellationToken ct) =>
        {
            var target = await signIn.StartAsync(context, connectionId, LocalOrRoot(returnUrl), force == true, ct);
            return target is null ? Results.NotFound() : Results.Redirect(target);
        });

        // The IdP's HTTP-POST (bindings §3.5): no antiforgery token can come with it; RelayState and the request
        // cookie bind it to this browser instead.
        saml.MapPost("/acs", async (string connectionId, HttpContext context, SamlSignIn signIn, CancellationToken ct) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(ct) : null;
            var target = await signIn.CompleteAsync(context, connectionId, form?["SAMLResponse"], form?["RelayState"], ct);
            return Results.Redirect(target ?? "/account/signin?error=sso");
        }).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>A path on this site, or "/": no scheme, no "//" or "/\\" (protocol-relative), no control characters (a tab is dropped by browsers).</summary>
    internal static string LocalOrRoot(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            && !url.Any(char.IsControl)
            ? url
            : "/";
}
