namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// Cookie names and flags in one place. With HTTPS required (production) every cookie is <c>__Host-</c>
/// prefixed, Secure, host-only and HttpOnly, so neither a sibling domain nor plain HTTP can set or read it.
/// Local development over http://localhost cannot use Secure cookies, so there the prefix is dropped.
/// </summary>
internal static class PlintoCookies
{
    public static void Apply(CookieBuilder cookie, string name, bool requireHttps)
    {
        ArgumentNullException.ThrowIfNull(cookie);
        cookie.Name = requireHttps ? "__Host-" + name : name;
        cookie.SecurePolicy = requireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        cookie.HttpOnly = true;
        cookie.Path = "/";
        cookie.Domain = null;
    }
}
