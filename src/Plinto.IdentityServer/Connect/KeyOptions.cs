using System.Numerics;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Plinto.IdentityServer.Connect;

/// <summary>Bound to <c>Plinto:Keys</c>.</summary>
internal sealed class KeyOptions
{
    public const string Section = "Plinto:Keys";

    /// <summary>
    /// PEM files with RSA (2048 bits or more) or EC P-256 private keys. The first RSA key signs ID tokens (and access
    /// tokens with RS256); the first EC key signs access tokens when <see cref="AccessTokenAlgorithm"/> is ES256. All
    /// are published in the JWKS, so rotation is: add the next key after the current one, wait for caches, move it
    /// before, drop the old one after the longest token lifetime.
    /// Empty: keys are generated once and kept in <c>{DataDirectory}/keys</c> (one node only).
    /// </summary>
    public List<string> SigningKeyFiles { get; set; } = [];

    /// <summary>
    /// <c>RS256</c> (default) or <c>ES256</c> for access tokens. ES256 signs about 11 times faster than RS256 on
    /// the same CPU; resource servers must accept ES256 (any JWKS-based validator does). ID tokens stay RS256, the
    /// algorithm OpenID Connect clients expect by default (OIDC Core §15.1, Dynamic Registration §2).
    /// </summary>
    public string AccessTokenAlgorithm { get; set; } = SecurityAlgorithms.RsaSha256;

    /// <summary>
    /// PEM files with RSA private keys that never leave Plinto. Codes and refresh tokens are protected with symmetric
    /// keys derived from each of them (<see cref="KeyLoader.DeriveTokenKeys"/>); the RSA keys themselves still decrypt
    /// codes and refresh tokens issued before Plinto derived keys, and access tokens encrypted with them before
    /// <see cref="AccessTokenEncryptionKeyFiles"/> existed.
    /// </summary>
    public List<string> EncryptionKeyFiles { get; set; } = [];

    /// <summary>
    /// PEM files with RSA private keys for encrypted access tokens (<c>Plinto:Tokens:EncryptAccessTokens</c>): the keys
    /// resource servers decrypt with, so none of them may be a signing or an <see cref="EncryptionKeyFiles"/> key —
    /// whoever holds one of those could mint Plinto's own tokens. The first encrypts, all decrypt. Required with
    /// encrypted access tokens when the other keys are configured; generated alongside generated keys otherwise.
    /// </summary>
    public List<string> AccessTokenEncryptionKeyFiles { get; set; } = [];
}

/// <summary>Loads the keys named in <see cref="KeyOptions"/>, or generates and keeps development keys.</summary>
internal static class KeyLoader
{
    /// <summary>
    /// The keys for encrypted access tokens (<see cref="KeyOptions.AccessTokenEncryptionKeyFiles"/>). Before that list
    /// existed, the encryption keys encrypted access tokens too, and so were handed to resource servers while the keys
    /// of codes and refresh tokens are derived from them: a deployment that configures its encryption keys must now
    /// give resource servers keys of their own, and is told so at start instead of being switched to a generated key.
    /// </summary>
    public static IReadOnlyList<RsaSecurityKey> LoadAccessTokenEncryptionKeys(KeyOptions options, string keyFolder)
    {
        const string Key = KeyOptions.Section + ":AccessTokenEncryptionKeyFiles";
        if (options.AccessTokenEncryptionKeyFiles.Count == 0 && (options.EncryptionKeyFiles.Count != 0 || options.SigningKeyFiles.Count != 0))
        {
            throw new InvalidOperationException(
                $"Plinto:Tokens:EncryptAccessTokens needs {Key}: RSA keys of their own for resource servers to decrypt access " +
                "tokens with. The keys of Plinto:Keys:EncryptionKeyFiles protect codes and refresh tokens and must never be " +
                "given to a resource server (docs/operations.md, \"Key rotation\").");
        }

        return LoadEncryptionKeys(options.AccessTokenEncryptionKeyFiles, Key, Path.Combine(keyFolder, "access-token-encryption.pem"));
    }

    /// <summary>
    /// Refuses a key listed twice or in two roles (RFC 7638 thumbprints compared): the same key as a signing and an
    /// encryption key, or as an encryption key and an access-token encryption key, would give whoever holds the
    /// less-guarded copy the power of the other (for instance, a resource server minting refresh tokens).
    /// </summary>
    public static void EnsureDistinct(params (string Key, IEnumerable<AsymmetricSecurityKey> Keys)[] lists)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, keys) in lists)
        {
            var index = 0;
            foreach (var securityKey in keys)
            {
                var name = $"{key}:{index++}";
                var thumbprint = Base64UrlEncoder.Encode(securityKey.ComputeJwkThumbprint());
                if (!seen.TryAdd(thumbprint, name))
                {
                    throw new InvalidOperationException($"{name} is the same key as {seen[thumbprint]}; every key must be listed once, in one role.");
                }
            }
        }
    }

    /// <summary>Encryption keys: RSA only (RSA-OAEP key wrapping).</summary>
    public static IReadOnlyList<RsaSecurityKey> LoadEncryptionKeys(IReadOnlyList<string> files, string key, string generatedPath)
    {
        if (files.Count == 0)
        {
            return [ReadRsa(EnsureGenerated(generatedPath, GenerateRsa), $"{key} (generated)")];
        }

        return files.Select((file, i) => ReadRsa(file, $"{key}:{i}")).ToList();
    }

    /// <summary>
    /// Signing keys, RSA or EC P-256, in the configured order. At least one RSA key (ID tokens), and an EC key when
    /// access tokens are ES256; generated keys cover both.
    /// </summary>
    public static IReadOnlyList<AsymmetricSecurityKey> LoadSigningKeys(KeyOptions options, string key, string keyFolder)
    {
        var es256 = string.Equals(options.AccessTokenAlgorithm, SecurityAlgorithms.EcdsaSha256, StringComparison.Ordinal);
        if (!es256 && !string.Equals(options.AccessTokenAlgorithm, SecurityAlgorithms.RsaSha256, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{KeyOptions.Section}:AccessTokenAlgorithm must be RS256 or ES256, not '{options.AccessTokenAlgorithm}'.");
        }

        List<AsymmetricSecurityKey> keys;
        if (options.SigningKeyFiles.Count == 0)
        {
            keys = [ReadRsa(EnsureGenerated(Path.Combine(keyFolder, "signing.pem"), GenerateRsa), $"{key} (generated)")];
            if (es256)
            {
                keys.Add(Read(EnsureGenerated(Path.Combine(keyFolder, "signing-es256.pem"), GenerateEc), $"{key} (generated)"));
            }
        }
        else
        {
            keys = options.SigningKeyFiles.Select((file, i) => Read(file, $"{key}:{i}")).ToList();
        }

        if (!keys.Any(k => k is RsaSecurityKey))
        {
            throw new InvalidOperationException($"{key}: at least one RSA key is required; ID tokens are signed with RS256.");
        }

        if (es256 && !keys.Any(k => k is ECDsaSecurityKey))
        {
            throw new InvalidOperationException($"{key}: {KeyOptions.Section}:AccessTokenAlgorithm is ES256, so an EC P-256 key is required.");
        }

        return keys;
    }

    /// <summary>
    /// The symmetric keys for the tokens only Plinto reads (codes, refresh tokens): for each RSA encryption key, in
    /// order, an HMAC-SHA256 signing key and an AES-256 key-wrapping key, derived with HKDF-SHA256 (RFC 5869) from
    /// the RSA private exponent with distinct labels. Every node holding the same key files derives the same keys, so
    /// there is no extra secret to distribute, and rotating the encryption keys rotates these too. The key id is
    /// derived under a third label, so it reveals nothing about either key.
    /// <para>
    /// An RSA key has more than one valid private exponent, and tools write different ones for the same key: OpenSSL
    /// 1.1 and older e⁻¹ mod φ(n), OpenSSL 3 and .NET e⁻¹ mod λ(n) (λ(n) = lcm(p − 1, q − 1)). Tokens are made with the
    /// keys of the exponent as written (what every earlier version did, so nothing changes for a node's own tokens),
    /// and also read with the keys of both usual forms: nodes given one key by different tools read each other's tokens.
    /// </para>
    /// </summary>
    public static DerivedTokenKeys DeriveTokenKeys(IEnumerable<RsaSecurityKey> encryptionKeys)
    {
        var current = new List<(SymmetricSecurityKey, SymmetricSecurityKey)>();
        var readOnly = new List<(SymmetricSecurityKey, SymmetricSecurityKey)>();
        foreach (var key in encryptionKeys)
        {
            var parameters = key.Rsa?.ExportParameters(includePrivateParameters: true) ?? key.Parameters;
            var written = parameters.D ?? throw new InvalidOperationException("An encryption key without its private part cannot protect tokens.");
            current.Add(Derive(written));
            foreach (var form in UsualExponents(parameters).DistinctBy(Convert.ToHexString))
            {
                if (!form.AsSpan().SequenceEqual(written))
                {
                    readOnly.Add(Derive(form));
                }
            }
        }

        return new DerivedTokenKeys(current, readOnly);

        static (SymmetricSecurityKey, SymmetricSecurityKey) Derive(byte[] secret)
        {
            var kid = Base64UrlEncoder.Encode(Hkdf(secret, "plinto token key id", 16));
            return (
                new SymmetricSecurityKey(Hkdf(secret, "plinto token signing (HS256)", 32)) { KeyId = kid },
                new SymmetricSecurityKey(Hkdf(secret, "plinto token encryption (A256KW)", 32)) { KeyId = kid });
        }

        static byte[] Hkdf(byte[] secret, string label, int length) =>
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, length, salt: [], info: System.Text.Encoding.ASCII.GetBytes(label));
    }

    /// <summary>e⁻¹ mod λ(n) and e⁻¹ mod φ(n), big-endian, as long as the written exponent.</summary>
    internal static IEnumerable<byte[]> UsualExponents(RSAParameters parameters)
    {
        var (p, q) = (Unsigned(parameters.P!) - 1, Unsigned(parameters.Q!) - 1);
        var e = Unsigned(parameters.Exponent!);
        var length = parameters.D!.Length;
        yield return Padded(Inverse(e, p / BigInteger.GreatestCommonDivisor(p, q) * q), length);
        yield return Padded(Inverse(e, p * q), length);

        static BigInteger Unsigned(byte[] bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

        // Extended Euclid: x with a·x ≡ 1 (mod m); a and m are coprime for a valid key.
        static BigInteger Inverse(BigInteger a, BigInteger m)
        {
            var (r0, r1, x0, x1) = (m, a % m, BigInteger.Zero, BigInteger.One);
            while (!r1.IsZero)
            {
                var quotient = r0 / r1;
                (r0, r1) = (r1, r0 - (quotient * r1));
                (x0, x1) = (x1, x0 - (quotient * x1));
            }

            return r0.IsOne ? ((x0 % m) + m) % m : throw new InvalidOperationException("The encryption key's exponent has no inverse: not an RSA key.");
        }

        static byte[] Padded(BigInteger value, int length)
        {
            var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
            var padded = new byte[Math.Max(length, bytes.Length)];
            bytes.CopyTo(padded, padded.Length - bytes.Length);
            return padded;
        }
    }

    private static string GenerateRsa()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    private static string GenerateEc()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ec.ExportPkcs8PrivateKeyPem();
    }

    private static string EnsureGenerated(string path, Func<string> generate)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var pem = generate();
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

    /// <summary>A signing key file: RSA or EC P-256 (PKCS#8 "PRIVATE KEY" names its algorithm inside).</summary>
    private static AsymmetricSecurityKey Read(string file, string key)
    {
        var pem = ReadPem(file, key);
        var rsa = RSA.Create();
        if (TryImport(rsa, pem))
        {
            return RsaKey(rsa, file, key);
        }

        var ec = ECDsa.Create();
        if (TryImport(ec, pem))
        {
            return EcKey(ec, file, key);
        }

        throw new InvalidOperationException($"{key}: '{file}' holds neither a PEM-encoded RSA nor an EC private key.");
    }

    /// <summary>An RSA key file (encryption keys, generated keys).</summary>
    private static RsaSecurityKey ReadRsa(string file, string key)
    {
        var rsa = RSA.Create();
        return TryImport(rsa, ReadPem(file, key))
            ? RsaKey(rsa, file, key)
            : throw new InvalidOperationException($"{key}: '{file}' does not hold a PEM-encoded RSA private key.");
    }

    /// <summary>Imports the PEM; on failure the algorithm object is disposed.</summary>
    private static bool TryImport(AsymmetricAlgorithm algorithm, string pem)
    {
        try
        {
            algorithm.ImportFromPem(pem);
            return true;
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            algorithm.Dispose();
            return false;
        }
    }

    private static string ReadPem(string file, string key) => File.Exists(file)
        ? File.ReadAllText(file)
        : throw new InvalidOperationException($"{key}: the key file '{file}' does not exist.");

    private static ECDsaSecurityKey EcKey(ECDsa ec, string file, string key)
    {
        if (ec.ExportParameters(false).Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
        {
            ec.Dispose();
            throw new InvalidOperationException($"{key}: '{file}' is an EC key on another curve than P-256 (ES256).");
        }

        return WithThumbprintKid(new ECDsaSecurityKey(ec));
    }

    private static RsaSecurityKey RsaKey(RSA rsa, string file, string key)
    {
        if (rsa.KeySize < 2048)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"{key}: '{file}' is a {rsa.KeySize}-bit key; at least 2048 bits are required.");
        }

        return WithThumbprintKid(new RsaSecurityKey(rsa));
    }

    /// <summary>RFC 7638 thumbprint as kid: stable across restarts and distinct per key.</summary>
    private static T WithThumbprintKid<T>(T securityKey) where T : AsymmetricSecurityKey
    {
        securityKey.KeyId = Base64UrlEncoder.Encode(securityKey.ComputeJwkThumbprint());
        return securityKey;
    }
}

/// <summary>
/// The keys <see cref="KeyLoader.DeriveTokenKeys"/> derives: <c>Current</c> in the order of the encryption keys (the
/// first protects new tokens, all read), <c>ReadOnly</c> from the other usual forms of the same keys.
/// </summary>
internal sealed record DerivedTokenKeys(
    IReadOnlyList<(SymmetricSecurityKey Signing, SymmetricSecurityKey Encryption)> Current,
    IReadOnlyList<(SymmetricSecurityKey Signing, SymmetricSecurityKey Encryption)> ReadOnly);
