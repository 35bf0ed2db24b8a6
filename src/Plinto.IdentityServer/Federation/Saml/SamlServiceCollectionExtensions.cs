using System.Security.Cryptography.X509Certificates;

namespace Plinto.IdentityServer.Federation.Saml;

/// <summary><c>Plinto:Saml</c>.</summary>
internal sealed class SamlOptions
{
    public const string Section = "Plinto:Saml";

    /// <summary>PEM certificate of the SP's signing key (signs AuthnRequests and SP metadata); empty: unsigned.</summary>
    public string? SigningCertificateFile { get; set; }

    /// <summary>PEM private key (RSA) of that certificate.</summary>
    public string? SigningKeyFile { get; set; }
}

internal static class SamlServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoSaml(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(SamlOptions.Section).Get<SamlOptions>() ?? new SamlOptions();
        X509Certificate2? certificate = null;
        if (!string.IsNullOrEmpty(options.SigningCertificateFile))
        {
            if (string.IsNullOrEmpty(options.SigningKeyFile) || !File.Exists(options.SigningCertificateFile) || !File.Exists(options.SigningKeyFile))
            {
                throw new InvalidOperationException("Plinto:Saml:SigningCertificateFile and Plinto:Saml:SigningKeyFile must both name existing PEM files.");
            }

            certificate = X509Certificate2.CreateFromPemFile(options.SigningCertificateFile, options.SigningKeyFile);
        }

        builder.Services.AddSingleton(new SamlServiceProvider(certificate));
        builder.Services.AddScoped<SamlConnections>();
        builder.Services.AddScoped<SamlSignIn>();
        builder.Services.AddHttpClient(SamlConnections.MetadataClient, client =>
        {
            client.Timeout = TimeSpan.FromSeconds(10);
            client.MaxResponseContentBufferSize = 2 * 1024 * 1024;
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        return builder;
    }
}
