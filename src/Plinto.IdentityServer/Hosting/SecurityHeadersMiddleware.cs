namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// Response headers for every page and endpoint.
/// <list type="bullet">
/// <item>CSP: scripts from our own files only, plus the one inline script by hash that OpenIddict's
/// response_mode=form_post page uses to post the response to the client.</item>
/// <item>No framing at all (clickjacking on sign-in and consent). Silent renewal in an iframe is therefore not
/// supported: clients renew with refresh tokens (browsers block third-party cookies anyway).</item>
/// <item>No form-action directive: Chromium applies it to the redirects after a form post, which would block the
/// final redirect to a client. No Cross-Origin-Opener-Policy: it would cut popup sign-in off from its opener.</item>
/// </list>
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    // SHA-256 of "document.form.submit();", the script of OpenIddict 7.8's form_post page.
    private const string FormPostScriptHash = "'sha256-j7OoGArf6XW6YY4cAyS3riSSvrJRqpSi1fOF9vQ5SrI='";

    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' " + FormPostScriptHash + "; style-src 'self'; img-src 'self' data: https:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // Codes and states travel in URLs: never leak them to other sites through Referer.
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
