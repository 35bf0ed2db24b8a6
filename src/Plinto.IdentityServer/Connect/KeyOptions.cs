using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Plinto.IdentityServer.Connect;

/// <summary>Bound to <c>Plinto:Keys</c>.</summary>
internal sealed class KeyOptions
{
    public const string Section = "Plinto:Keys";

    /// <summary>
    /// PEM files with RSA private keys. The first signs; all are published in the JWKS, so rotation is:
    /// add the next key second, wait for caches, move it first, drop the old one after the longest token lifetime.
    /// Empty: a key is generated once and kept in <c>{DataDirectory}/keys</c> (one node only).
    /// </summary>
    public List<string> SigningKeyFiles { get; set; } = [];

    /// <summary>PEM files with RSA private keys for encrypting codes, refresh tokens and (optionally) access tokens.</summary>
    public List<string> EncryptionKeyFiles { get; set; } = [];
}

/// <summary>Loads the keys named in <see cref="KeyOptions"/>, or generates and keeps development keys.</summary>
internal static class KeyLoader
{
    public static IReadOnlyList<RsaSecurityKey> Load(IReadOnlyList<string> files, string key, string generatedPath)
    {
        if (files.Count == 0)
        {
            return [Read(EnsureGenerated(generatedPath), $"{key} (generated)")];
        }

        return files.Select((file, i) => Read(file, $"{key}:{i}")).ToList();
    }

    private static string EnsureGenerated(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var rsa = RSA.Create(2048);
            var pem = rsa.ExportPkcs8PrivateKeyPem();
            // Created owner-only: this file is the server's private key.
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, fileOptions);
            using var writer = new StreamWriter(stream);
            writer.Write(pem);
        }

        return path;
    }

    private static RsaSecurityKey Read(string file, string key)
    {
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"{key}: the key file '{file}' does not exist.");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(file));
        }
        catch (ArgumentException exception)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"{key}: '{file}' does not hold a PEM-encoded RSA private key.", exception);
        }

        if (rsa.KeySize < 2048)
        {
            throw new InvalidOperationException($"{key}: '{file}' is a {rsa.KeySize}-bit key; at least 2048 bits are required.");
        }

        var securityKey = new RsaSecurityKey(rsa);
        // RFC 7638 thumbprint as kid: stable across restarts and distinct per key.
        securityKey.KeyId = Base64UrlEncoder.Encode(securityKey.ComputeJwkThumbprint());
        return securityKey;
    }
}
