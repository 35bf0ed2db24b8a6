using System.ComponentModel.DataAnnotations;

namespace Plinto.IdentityServer.Hosting;

/// <summary>Top-level settings under <c>Plinto:</c> that are not owned by one feature.</summary>
internal sealed class PlintoHostOptions
{
    public const string Section = "Plinto";

    /// <summary>Public issuer URL when Plinto runs behind a proxy; null means the request origin.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// Refuse plain HTTP for the protocol endpoints (OAuth 2.1 §1.5). Off only for local development
    /// on http://localhost; behind a TLS-terminating proxy keep it on and forward the scheme.
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>Folder for the embedded database, development keys and the development mail drop.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";
}

/// <summary>
/// Outside development the issuer is configuration, never the request: tokens' iss and the links in e-mails
/// (password reset!) would otherwise follow a forged Host header to an attacker's site.
/// </summary>
internal sealed class ValidatePlintoHostOptions(IHostEnvironment environment) : Microsoft.Extensions.Options.IValidateOptions<PlintoHostOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, PlintoHostOptions options)
    {
        if (options.Issuer is null)
        {
            return environment.IsDevelopment()
                ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
                : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                    "Plinto:Issuer is required outside Development: set it to the public URL, for example https://id.example.com/.");
        }

        return options.Issuer.IsAbsoluteUri && options.Issuer.Scheme is "https" or "http" && string.IsNullOrEmpty(options.Issuer.Query)
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"Plinto:Issuer '{options.Issuer}' must be an absolute http(s) URL without a query.");
    }
}

internal static class PlintoHostOptionsExtensions
{
    /// <summary>For the few registrations that need a value before the container is built.</summary>
    public static PlintoHostOptions GetPlintoHostOptions(this IConfiguration configuration) =>
        configuration.GetSection(PlintoHostOptions.Section).Get<PlintoHostOptions>() ?? new PlintoHostOptions();

    public static string ResolveDataDirectory(this PlintoHostOptions options, IHostEnvironment environment)
    {
        var path = Path.IsPathRooted(options.DataDirectory)
            ? options.DataDirectory
            : Path.Combine(environment.ContentRootPath, options.DataDirectory);
        Directory.CreateDirectory(path);
        return path;
    }
}
