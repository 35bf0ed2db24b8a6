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

    /// <summary>
    /// Let metadata URLs reach loopback and private addresses (an IdP inside the network, or tests). Off: Plinto never
    /// fetches from them, so an organization admin cannot make it probe internal services.
    /// </summary>
    public bool AllowPrivateMetadataUrls { get; set; }
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
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = options.AllowPrivateMetadataUrls ? null : ConnectPublicOnlyAsync,
        });
        return builder;
    }

    /// <summary>Connects only to public addresses (resolved here, so DNS cannot point a public name inward).</summary>
    private static async ValueTask<Stream> ConnectPublicOnlyAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await System.Net.Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var target = addresses.FirstOrDefault(IsPublic)
            ?? throw new HttpRequestException("The metadata host resolves to no public address.");
        var socket = new System.Net.Sockets.Socket(target.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new System.Net.IPEndPoint(target, context.DnsEndPoint.Port), cancellationToken);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static bool IsPublic(System.Net.IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (System.Net.IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal
            || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            return false;
        }

        var b = address.GetAddressBytes();
        return address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !(b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127));
    }
}
