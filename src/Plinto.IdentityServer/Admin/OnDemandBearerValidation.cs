using Microsoft.AspNetCore.Authentication;
using OpenIddict.Validation.AspNetCore;

namespace Plinto.IdentityServer.Admin;

/// <summary>
/// OpenIddict's bearer validation, run only for the requests that use it (the admin API's policy). Its ASP.NET Core
/// handler is an <see cref="IAuthenticationRequestHandler"/>, so the authentication middleware created it and
/// dispatched a request event through OpenIddict's validation pipeline for every request OpenIddict's server did not
/// answer first — every page, health check and passthrough request (the authorization endpoint) — although only the
/// admin API authenticates with it and validation has no endpoints of its own to answer (docs/performance.md, lever 30). The scheme's handler is now <see cref="OnDemandValidationHandler"/>, which is no
/// request handler and runs OpenIddict's handler, request step included and unchanged, when the scheme is used.
/// </summary>
internal static class OnDemandBearerValidation
{
    public const string Scheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;

    public static IServiceCollection AddOnDemandBearerValidation(this IServiceCollection services)
    {
        services.AddScoped<OnDemandValidationHandler>();
        // After OpenIddict's own configuration added the scheme with its handler.
        services.PostConfigure<AuthenticationOptions>(options => options.SchemeMap[Scheme].HandlerType = typeof(OnDemandValidationHandler));
        return services;
    }
}

/// <summary>OpenIddict's validation handler, with its per-request step run on first use instead of for every request.</summary>
internal sealed class OnDemandValidationHandler(OpenIddictValidationAspNetCoreHandler inner) : IAuthenticationHandler
{
    private bool requestHandled;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context) => inner.InitializeAsync(scheme, context);

    public async Task<AuthenticateResult> AuthenticateAsync()
    {
        await EnsureRequestHandledAsync();
        return await inner.AuthenticateAsync();
    }

    public async Task ChallengeAsync(AuthenticationProperties? properties)
    {
        await EnsureRequestHandledAsync();
        await inner.ChallengeAsync(properties);
    }

    public async Task ForbidAsync(AuthenticationProperties? properties)
    {
        await EnsureRequestHandledAsync();
        await inner.ForbidAsync(properties);
    }

    // OpenIddict's own request step, once per request as the middleware ran it: it creates the transaction the other
    // operations read from the request's features, then dispatches the request event. In OpenIddict 7.8 that event has
    // one handler, which notes the request's base and request URIs (the accepted issuer when none is configured): it
    // now reads them when the scheme is first used rather than in UseAuthentication, which is the same request as long
    // as nothing between the two middlewares changes the host, scheme or path base (nothing in Program.cs does).
    // OnDemandBearerValidationTests pins that handler list for OpenIddict upgrades.
    private async Task EnsureRequestHandledAsync()
    {
        if (requestHandled)
        {
            return;
        }

        if (await inner.HandleRequestAsync())
        {
            // Validation has no endpoints: nothing in its pipeline answers a request by itself.
            throw new InvalidOperationException("OpenIddict's validation answered a request on its own.");
        }

        requestHandled = true;
    }
}
