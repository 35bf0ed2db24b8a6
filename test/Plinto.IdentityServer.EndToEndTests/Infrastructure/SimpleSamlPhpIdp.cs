using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>
/// SimpleSAMLphp from Debian's package, served by PHP's built-in web server on loopback: a real, independently
/// written SAML IdP for the interoperability test. The configuration comes from SimpleSamlPhp/ in this project;
/// the IdP's key pair is generated here (no private key in the repository).
/// </summary>
internal sealed partial class SimpleSamlPhpIdp : IAsyncDisposable
{
    public const string Root = "/usr/share/simplesamlphp/www";
    public const string Php = "/usr/bin/php";

    private readonly string folder = Directory.CreateTempSubdirectory("plinto-simplesamlphp-").FullName;
    private readonly Process process;

    public SimpleSamlPhpIdp(string username, string password, string email)
    {
        var template = Path.Combine(AppContext.BaseDirectory, "SimpleSamlPhp");
        foreach (var sub in new[] { "config", "metadata", "cert", "log", "data", "tmp", "sessions" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }

        var replacements = new Dictionary<string, string>
        {
            ["__DIR__"] = folder,
            ["__SECRET_SALT__"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["__ADMIN_PASSWORD__"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["__USERNAME__"] = username,
            ["__PASSWORD__"] = password,
            ["__EMAIL__"] = email,
        };
        foreach (var file in Directory.EnumerateFiles(template, "*.php", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (var (key, value) in replacements)
            {
                text = text.Replace(key, value, StringComparison.Ordinal);
            }

            File.WriteAllText(Path.Combine(folder, Path.GetRelativePath(template, file)), text);
        }

        using var rsa = RSA.Create(2048);
        var certificate = new CertificateRequest("CN=SimpleSAMLphp test IdP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(folder, "cert", "idp.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "cert", "idp.key"), rsa.ExportPkcs8PrivateKeyPem());

        // Port 0: the OS picks a free port when PHP binds (no window in which another process could take it), and PHP
        // names it in the line it prints once it listens.
        var start = new ProcessStartInfo(Php, ["-S", "127.0.0.1:0", "-t", Root])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SIMPLESAMLPHP_CONFIG_DIR"] = Path.Combine(folder, "config");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process = Process.Start(start) ?? throw new InvalidOperationException("php could not be started.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                listening.TrySetException(new AssertionException("PHP's built-in server stopped before it listened: " + string.Join('\n', output)));
                return;
            }

            if (output.Count < 50)
            {
                output.Enqueue(line.Data);
            }

            if (Started().Match(line.Data) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Port = listening.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
        catch (Exception exception)
        {
            // The fixture is not returned, so nobody else would stop the process or remove the folder.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            Directory.Delete(folder, recursive: true);
            if (exception is TimeoutException)
            {
                throw new AssertionException("PHP's built-in server did not say where it listens within 30 s: " + string.Join('\n', output));
            }

            throw;
        }
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string MetadataUrl => $"{BaseUrl}/saml2/idp/metadata.php";

    /// <summary>Waits until the IdP serves its metadata, and returns it.</summary>
    public async Task<string> MetadataAsync()
    {
        using var client = new HttpClient();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var response = await client.GetAsync(MetadataUrl);
                var body = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode && body.Contains("IDPSSODescriptor", StringComparison.Ordinal))
                {
                    return body;
                }

                if (attempt > 20)
                {
                    throw new AssertionException($"SimpleSAMLphp answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 2000)]}\nLog: {Log()}");
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new AssertionException("SimpleSAMLphp did not start. Log: " + Log());
    }

    /// <summary>Tells the IdP about Plinto's SP (entity ID and ACS of the connection).</summary>
    public void RegisterServiceProvider(string entityId, string acs)
    {
        var file = Path.Combine(folder, "metadata", "saml20-sp-remote.php");
        File.WriteAllText(file, File.ReadAllText(file).Replace("__SP_ENTITY_ID__", entityId, StringComparison.Ordinal).Replace("__ACS__", acs, StringComparison.Ordinal));
    }

    public string Log()
    {
        var log = Path.Combine(folder, "log", "simplesamlphp.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [GeneratedRegex(@"Development Server \(http://127\.0\.0\.1:(\d+)\) started")]
    private static partial Regex Started();
}
