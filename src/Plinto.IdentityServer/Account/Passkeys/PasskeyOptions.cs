namespace Plinto.IdentityServer.Account.Passkeys;

/// <summary>Bound to <c>Plinto:Passkeys</c>.</summary>
internal sealed class PasskeyOptions
{
    public const string Section = "Plinto:Passkeys";

    /// <summary>
    /// WebAuthn relying party id (a registrable domain, e.g. <c>example.com</c> or <c>id.example.com</c>). Passkeys
    /// are bound to it: changing it later makes every registered passkey unusable. Default: the issuer's host.
    /// </summary>
    public string? RelyingPartyId { get; set; }

    /// <summary>Origins allowed to use passkeys (<c>https://id.example.com</c>). Default: the issuer's origin.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>At most this many passkeys per account.</summary>
    public int MaxPerUser { get; set; } = 10;
}

/// <summary>
/// Maps <see cref="PasskeyOptions"/> onto Identity's passkey options. The RP id and the allowed origins come from
/// configuration (or the configured issuer), never from the request's Host header (WebAuthn §5.1.3 step 8 and
/// §7.2 step 13 bind the ceremony to them). Only Development without an issuer falls back to localhost.
/// </summary>
internal sealed class ConfigureIdentityPasskeyOptions(
    Microsoft.Extensions.Options.IOptions<PasskeyOptions> passkeys,
    Microsoft.Extensions.Options.IOptions<Hosting.PlintoHostOptions> host,
    IHostEnvironment environment) : Microsoft.Extensions.Options.IConfigureOptions<Microsoft.AspNetCore.Identity.IdentityPasskeyOptions>
{
    public void Configure(Microsoft.AspNetCore.Identity.IdentityPasskeyOptions options)
    {
        var issuer = host.Value.Issuer;
        var development = environment.IsDevelopment();
        options.ServerDomain = passkeys.Value.RelyingPartyId ?? issuer?.Host ?? (development ? "localhost" : null);
        var allowed = passkeys.Value.AllowedOrigins.Count > 0
            ? passkeys.Value.AllowedOrigins.Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.Ordinal)
            : issuer is null ? [] : new HashSet<string>(StringComparer.Ordinal) { issuer.GetLeftPart(UriPartial.Authority) };

        options.ValidateOrigin = context =>
        {
            // Never inside a cross-origin frame (WebAuthn §7.1 step 9 crossOrigin).
            if (context.CrossOrigin)
            {
                return ValueTask.FromResult(false);
            }

            if (allowed.Count == 0 && development && Uri.TryCreate(context.Origin, UriKind.Absolute, out var origin))
            {
                return ValueTask.FromResult(origin.Host == "localhost");
            }

            return ValueTask.FromResult(allowed.Contains(context.Origin));
        };

        // Passkeys that sign in alone: discoverable credentials and user verification, always.
        options.UserVerificationRequirement = "required";
        options.ResidentKeyRequirement = "required";
        options.AttestationConveyancePreference = "none";
    }
}
