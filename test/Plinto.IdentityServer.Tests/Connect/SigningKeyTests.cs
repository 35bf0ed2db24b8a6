using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>Keys from files: the first signs, every configured key is published (rotation), each with its own kid.</summary>
internal sealed class SigningKeyTests
{
    [Test]
    public async Task Configured_keys_are_all_published_and_the_first_one_signs()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-keys-").FullName;
        var current = WriteKey(folder, "current.pem");
        var next = WriteKey(folder, "next.pem");
        var encryption = WriteKey(folder, "encryption.pem");
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Keys:SigningKeyFiles:0"] = current.Path,
            ["Plinto:Keys:SigningKeyFiles:1"] = next.Path,
            ["Plinto:Keys:EncryptionKeyFiles:0"] = encryption.Path,
        });
        var client = factory.CreateClient();

        var jwks = await Jwks.FetchAsync(client);
        Assert.That(jwks.Keys.Select(k => k.Kid), Is.EquivalentTo(new[] { current.Kid, next.Kid }));

        var result = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        Assert.That(result.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(new JsonWebToken(result.Get("access_token")).Kid, Is.EqualTo(current.Kid));
    }

    [Test]
    public async Task Rotating_keys_keeps_issued_tokens_working_until_the_old_key_is_retired()
    {
        // docs/operations.md: publish the next key, switch to it, retire the old one after the token lifetime.
        var folder = Directory.CreateTempSubdirectory("plinto-rotation-").FullName;
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite, folder);
        var (oldSigning, newSigning) = (WriteKey(folder, "signing-old.pem"), WriteKey(folder, "signing-new.pem"));
        var (oldEncryption, newEncryption) = (WriteKey(folder, "encryption-old.pem"), WriteKey(folder, "encryption-new.pem"));
        PlintoFactory Host(params (string Path, string Kid)[][] keys) => new(DatabaseProvider.Sqlite, connectionString, folder, new Dictionary<string, string?>
        {
            ["Plinto:Keys:SigningKeyFiles"] = null,
            ["Plinto:Keys:EncryptionKeyFiles"] = null,
        }.Concat(keys[0].Select((k, i) => KeyValuePair.Create($"Plinto:Keys:SigningKeyFiles:{i}", (string?)k.Path)))
         .Concat(keys[1].Select((k, i) => KeyValuePair.Create($"Plinto:Keys:EncryptionKeyFiles:{i}", (string?)k.Path)))
         .ToDictionary());

        TokenResponse before;
        await using (var old = Host([oldSigning], [oldEncryption]))
        {
            var email = UniqueUser.Email();
            await old.CreateUserAsync(email, UniqueUser.Password);
            before = await OidcClient.ConfidentialCodeFlowAsync(new Browser(old.CreateClient()), email);
            Assert.That(new JsonWebToken(before.Get("access_token")).Kid, Is.EqualTo(oldSigning.Kid));
        }

        TokenResponse during;
        await using (var switched = Host([newSigning, oldSigning], [newEncryption, oldEncryption]))
        {
            var client = switched.CreateClient();
            Assert.That(await UserInfoStatusAsync(client, before.Get("access_token")), Is.EqualTo(HttpStatusCode.OK), "old access token still valid");
            during = await OidcClient.RefreshAsync(client, before.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
            Assert.That(during.Status, Is.EqualTo(HttpStatusCode.OK), "a refresh token encrypted with the previous key: " + during.Json);
            Assert.That(new JsonWebToken(during.Get("access_token")).Kid, Is.EqualTo(newSigning.Kid));
        }

        await using var retired = Host([newSigning], [newEncryption]);
        var retiredClient = retired.CreateClient();
        Assert.That(await UserInfoStatusAsync(retiredClient, during.Get("access_token")), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await UserInfoStatusAsync(retiredClient, before.Get("access_token")), Is.EqualTo(HttpStatusCode.Unauthorized),
            "a token signed by a retired key is refused");
        var after = await OidcClient.RefreshAsync(retiredClient, during.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK), after.Json.ToString());
        Assert.That((await Jwks.FetchAsync(retiredClient)).Keys.Select(k => k.Kid), Is.EquivalentTo(new[] { newSigning.Kid }));
    }

    [Test]
    public async Task A_missing_or_weak_key_file_stops_start_up_naming_the_key()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-keys-").FullName;
        var weak = Path.Combine(folder, "weak.pem");
        using (var rsa = RSA.Create(1024))
        {
            await File.WriteAllTextAsync(weak, rsa.ExportPkcs8PrivateKeyPem());
        }

        await using var missing = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Keys:SigningKeyFiles:0"] = Path.Combine(folder, "absent.pem") });
        Assert.That(Assert.Catch(() => _ = missing.Server)!.ToString(), Does.Contain("Plinto:Keys:SigningKeyFiles:0"));

        await using var tooSmall = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Keys:SigningKeyFiles:0"] = weak });
        Assert.That(Assert.Catch(() => _ = tooSmall.Server)!.ToString(), Does.Contain("2048"));
    }

    [Test]
    public async Task Access_token_encryption_can_be_turned_on()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Tokens:EncryptAccessTokens"] = "true" });
        var client = factory.CreateClient();

        var result = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        var token = result.Get("access_token");

        Assert.That(token.Split('.'), Has.Length.EqualTo(5), "a JWE has five parts");
        Assert.That(new JsonWebToken(token).Alg, Is.EqualTo(SecurityAlgorithms.RsaOAEP),
            "resource servers decrypt with the RSA encryption key, never with the keys internal to Plinto");
        // The presenter of the token may introspect it.
        var introspection = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = token });
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Encrypted_access_tokens_use_a_key_of_their_own_from_which_no_refresh_token_can_be_minted()
    {
        // Resource servers hold the key that decrypts access tokens. Codes and refresh tokens are protected with keys
        // derived from the encryption keys; were the two the same, a resource server could derive them and mint a
        // refresh token claiming anything (an MFA sign-in, another auth_time) — as it could before this test.
        var folder = Directory.CreateTempSubdirectory("plinto-at-encryption-").FullName;
        var signing = WriteKey(folder, "signing.pem");
        var encryption = WriteKey(folder, "encryption.pem");
        var accessTokens = WriteKey(folder, "access-tokens.pem");
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Tokens:EncryptAccessTokens"] = "true",
            ["Plinto:Keys:SigningKeyFiles:0"] = signing.Path,
            ["Plinto:Keys:EncryptionKeyFiles:0"] = encryption.Path,
            ["Plinto:Keys:AccessTokenEncryptionKeyFiles:0"] = accessTokens.Path,
        });
        var client = factory.CreateClient();
        var email = UniqueUser.Email();
        await factory.CreateUserAsync(email, UniqueUser.Password);
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(new Browser(factory.CreateClient()), email);

        // What a resource server does with its key: decrypt the access token (signed by the published key).
        using var resourceServerKey = RSA.Create();
        resourceServerKey.ImportFromPem(await File.ReadAllTextAsync(accessTokens.Path));
        var accessToken = tokens.Get("access_token");
        Assert.That(new JsonWebToken(accessToken).Kid, Is.EqualTo(accessTokens.Kid), "encrypted for the resource servers' key");
        var jwks = await Jwks.FetchAsync(client);
        var read = await new JsonWebTokenHandler().ValidateTokenAsync(accessToken, new TokenValidationParameters
        {
            TokenDecryptionKey = new RsaSecurityKey(resourceServerKey) { KeyId = accessTokens.Kid },
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidateIssuer = false,
            ValidateAudience = false,
        });
        Assert.That(read.IsValid, Is.True, read.Exception?.Message);
        Assert.That(await UserInfoStatusAsync(client, accessToken), Is.EqualTo(HttpStatusCode.OK));

        // What it must not be able to do: derive the keys of refresh tokens from its key (the documented HKDF labels).
        var d = resourceServerKey.ExportParameters(true).D!;
        byte[] Derive(string label, int length) => HKDF.DeriveKey(HashAlgorithmName.SHA256, d, length, [], System.Text.Encoding.ASCII.GetBytes(label));
        var kid = Base64UrlEncoder.Encode(Derive("plinto token key id", 16));
        var minted = new JsonWebTokenHandler().CreateToken(
            """{"sub":"x","amr":["pwd","mfa"],"oi_tkn_typ":"oi_reft+jwt"}""",
            new SigningCredentials(new SymmetricSecurityKey(Derive("plinto token signing (HS256)", 32)) { KeyId = kid }, SecurityAlgorithms.HmacSha256),
            new EncryptingCredentials(new SymmetricSecurityKey(Derive("plinto token encryption (A256KW)", 32)) { KeyId = kid },
                SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        Assert.That(new JsonWebToken(tokens.Get("refresh_token")).Kid, Is.Not.EqualTo(kid), "refresh tokens come from other keys");
        var refused = await OidcClient.RefreshAsync(client, minted, ConfidentialClientId, ConfidentialSecret);
        Assert.That((refused.Status, refused.Get("error")), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")));
        var refreshed = await OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
    }

    [Test]
    public async Task A_key_in_two_roles_or_configured_keys_without_access_token_keys_stop_start_up()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-key-roles-").FullName;
        var (one, other) = (WriteKey(folder, "one.pem"), WriteKey(folder, "other.pem"));

        async Task<string> StartFailureAsync(Dictionary<string, string?> settings)
        {
            await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, settings);
            return Assert.Catch(() => _ = factory.Server)!.ToString();
        }

        Assert.That(await StartFailureAsync(new() { ["Plinto:Tokens:EncryptAccessTokens"] = "true", ["Plinto:Keys:EncryptionKeyFiles:0"] = one.Path }),
            Does.Contain("needs Plinto:Keys:AccessTokenEncryptionKeyFiles"));
        Assert.That(await StartFailureAsync(new()
            {
                ["Plinto:Tokens:EncryptAccessTokens"] = "true",
                ["Plinto:Keys:EncryptionKeyFiles:0"] = one.Path,
                ["Plinto:Keys:AccessTokenEncryptionKeyFiles:0"] = one.Path,
            }),
            Does.Contain("Plinto:Keys:AccessTokenEncryptionKeyFiles:0 is the same key as Plinto:Keys:EncryptionKeyFiles:0"));
        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:SigningKeyFiles:0"] = one.Path, ["Plinto:Keys:EncryptionKeyFiles:0"] = one.Path }),
            Does.Contain("Plinto:Keys:EncryptionKeyFiles:0 is the same key as Plinto:Keys:SigningKeyFiles:0"));
        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:SigningKeyFiles:0"] = other.Path, ["Plinto:Keys:SigningKeyFiles:1"] = other.Path }),
            Does.Contain("Plinto:Keys:SigningKeyFiles:1 is the same key as Plinto:Keys:SigningKeyFiles:0"));
    }

    [Test]
    public async Task Nodes_given_one_key_written_by_different_tools_read_each_others_refresh_tokens()
    {
        // An RSA key has several valid private exponents; OpenSSL 1.1 wrote e⁻¹ mod φ(n), OpenSSL 3 and .NET write
        // e⁻¹ mod λ(n). The keys of codes and refresh tokens derive from the exponent: two nodes given the same key
        // through different tools must still read each other's tokens.
        var folder = Directory.CreateTempSubdirectory("plinto-exponent-").FullName;
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite, folder);
        var signing = WriteKey(folder, "signing.pem");
        // A key whose two forms differ: for about half of all keys (gcd(p − 1, q − 1) = 2) e⁻¹ mod φ(n) happens to be
        // e⁻¹ mod λ(n) itself.
        var rsa = RSA.Create(2048);
        while (KeyLoader.UsualExponents(rsa.ExportParameters(true)).Last().AsSpan().SequenceEqual(rsa.ExportParameters(true).D))
        {
            rsa.Dispose();
            rsa = RSA.Create(2048);
        }

        using var _ = rsa;
        var parameters = rsa.ExportParameters(true);
        var phiForm = KeyLoader.UsualExponents(parameters).Last();
        Assert.That(KeyLoader.UsualExponents(parameters).First(), Is.EqualTo(parameters.D), ".NET writes the λ(n) form");
        var lambdaFile = Path.Combine(folder, "encryption.pem");
        await File.WriteAllTextAsync(lambdaFile, rsa.ExportPkcs8PrivateKeyPem());
        var phiFile = Path.Combine(folder, "encryption-openssl-1.1.pem");
        using (var other = RSA.Create())
        {
            other.ImportParameters(parameters with { D = phiForm });
            await File.WriteAllTextAsync(phiFile, other.ExportPkcs8PrivateKeyPem());
        }

        PlintoFactory Node(string encryptionFile) => new(DatabaseProvider.Sqlite, connectionString, folder, new Dictionary<string, string?>
        {
            ["Plinto:Keys:SigningKeyFiles:0"] = signing.Path,
            ["Plinto:Keys:EncryptionKeyFiles:0"] = encryptionFile,
        });

        await using var first = Node(lambdaFile);
        await using var second = Node(phiFile);
        var email = UniqueUser.Email();
        await first.CreateUserAsync(email, UniqueUser.Password);
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(new Browser(first.CreateClient()), email);

        var atSecond = await OidcClient.RefreshAsync(second.CreateClient(), tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(atSecond.Status, Is.EqualTo(HttpStatusCode.OK), atSecond.Json.ToString());
        var backAtFirst = await OidcClient.RefreshAsync(first.CreateClient(), atSecond.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(backAtFirst.Status, Is.EqualTo(HttpStatusCode.OK), backAtFirst.Json.ToString());
        // Each node makes its tokens with the keys of its file as written, as before: nothing changes for its own.
        Assert.That(new JsonWebToken(atSecond.Get("refresh_token")).Kid, Is.Not.EqualTo(new JsonWebToken(tokens.Get("refresh_token")).Kid));
    }

    [Test]
    public async Task Access_tokens_can_be_ES256_while_ID_tokens_stay_RS256()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-es256-").FullName;
        var rsa = WriteKey(folder, "rsa.pem");
        var ec = WriteEcKey(folder, "ec.pem", ECCurve.NamedCurves.nistP256);
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Keys:AccessTokenAlgorithm"] = "ES256",
            // The EC key listed first: ID tokens must still get the RSA key.
            ["Plinto:Keys:SigningKeyFiles:0"] = ec.Path,
            ["Plinto:Keys:SigningKeyFiles:1"] = rsa.Path,
        });
        var client = factory.CreateClient();

        var jwks = await Jwks.FetchAsync(client);
        Assert.That(jwks.Keys.Select(k => (k.Kid, k.Kty)), Is.EquivalentTo(new[] { (ec.Kid, "EC"), (rsa.Kid, "RSA") }));

        var machine = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        var accessToken = new JsonWebToken(machine.Get("access_token"));
        Assert.That((accessToken.Alg, accessToken.Kid), Is.EqualTo((SecurityAlgorithms.EcdsaSha256, ec.Kid)));
        var validated = await Jwks.ValidateAsync(client, machine.Get("access_token"), ApiAudience, algorithms: [SecurityAlgorithms.EcdsaSha256]);
        Assert.That(validated.IsValid, Is.True, validated.Exception?.Message);
        var introspection = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = machine.Get("access_token") });
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.True);

        var email = UniqueUser.Email();
        await factory.CreateUserAsync(email, UniqueUser.Password);
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(new Browser(factory.CreateClient()), email);
        var idToken = new JsonWebToken(tokens.Get("id_token"));
        Assert.That((idToken.Alg, idToken.Kid), Is.EqualTo((SecurityAlgorithms.RsaSha256, rsa.Kid)), "OIDC Core §15.1: ID tokens in RS256");
        Assert.That(new JsonWebToken(tokens.Get("access_token")).Alg, Is.EqualTo(SecurityAlgorithms.EcdsaSha256));
        Assert.That(await UserInfoStatusAsync(client, tokens.Get("access_token")), Is.EqualTo(HttpStatusCode.OK), "Plinto accepts its own ES256 tokens");
    }

    [Test]
    public async Task A_wrong_access_token_algorithm_or_key_stops_start_up_with_the_reason()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-es256-").FullName;
        var rsa = WriteKey(folder, "rsa.pem");
        var p384 = WriteEcKey(folder, "p384.pem", ECCurve.NamedCurves.nistP384);
        var p256 = WriteEcKey(folder, "p256.pem", ECCurve.NamedCurves.nistP256);

        async Task<string> StartFailureAsync(Dictionary<string, string?> settings)
        {
            await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, settings);
            return Assert.Catch(() => _ = factory.Server)!.ToString();
        }

        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:AccessTokenAlgorithm"] = "HS256" }),
            Does.Contain("AccessTokenAlgorithm must be RS256 or ES256"));
        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:AccessTokenAlgorithm"] = "ES256", ["Plinto:Keys:SigningKeyFiles:0"] = rsa.Path }),
            Does.Contain("an EC P-256 key is required"));
        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:SigningKeyFiles:0"] = rsa.Path, ["Plinto:Keys:SigningKeyFiles:1"] = p384.Path }),
            Does.Contain("Plinto:Keys:SigningKeyFiles:1").And.Contain("P-256"));
        Assert.That(await StartFailureAsync(new() { ["Plinto:Keys:SigningKeyFiles:0"] = p256.Path }),
            Does.Contain("at least one RSA key is required"));
    }

    [Test]
    public async Task Codes_and_refresh_tokens_use_derived_symmetric_keys_that_are_never_published()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        var client = factory.CreateClient();
        var email = UniqueUser.Email();
        await factory.CreateUserAsync(email, UniqueUser.Password);
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(new Browser(factory.CreateClient()), email);

        // (Codes are reference tokens: the client gets an identifier, the protected payload stays in the database.)
        var refreshHeader = new JsonWebToken(tokens.Get("refresh_token"));
        Assert.That((refreshHeader.Alg, refreshHeader.Enc), Is.EqualTo((SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512)));

        var jwks = await Jwks.FetchAsync(client);
        var rsaKid = jwks.Keys.Single().Kid;
        Assert.That(jwks.Keys.Select(k => k.Kty), Is.All.EqualTo("RSA"), "symmetric keys are never published");
        Assert.That(await client.GetStringAsync("/.well-known/jwks"), Does.Not.Contain("\"k\"").And.Not.Contain("oct"));
        var discovery = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.That(discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "RS256" }));
        foreach (var (name, token) in new[] { ("access token", tokens.Get("access_token")), ("ID token", tokens.Get("id_token")) })
        {
            var header = new JsonWebToken(token);
            Assert.That((header.Alg, header.Kid), Is.EqualTo((SecurityAlgorithms.RsaSha256, rsaKid)), name + ": signed with the published key");
        }

        // A refresh token forged with another key under the same key id is refused; the genuine one still works.
        var kid = new JsonWebToken(tokens.Get("refresh_token")).Kid;
        var forged = new JsonWebTokenHandler().CreateToken(
            """{"sub":"x","oi_tkn_typ":"oi_reft+jwt"}""",
            new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = kid }, SecurityAlgorithms.HmacSha256),
            new EncryptingCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = kid }, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        var refused = await OidcClient.RefreshAsync(client, forged, ConfidentialClientId, ConfidentialSecret);
        Assert.That((refused.Status, refused.Get("error")), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant")));
        var refreshed = await OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
    }

    [Test]
    public async Task A_refresh_token_encrypted_with_RSA_before_the_upgrade_still_redeems()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-upgrade-").FullName;
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite, folder);
        var email = UniqueUser.Email();
        TokenResponse before;
        await using (var host = new PlintoFactory(DatabaseProvider.Sqlite, connectionString, folder))
        {
            await host.CreateUserAsync(email, UniqueUser.Password);
            // The version before derived keys: OpenIddict's default credentials, RSA-OAEP and RS256 for every token.
            await using var previous = host.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
                services.PostConfigure<OpenIddictServerOptions>(options =>
                {
                    options.SigningCredentials.RemoveAll(c => c.Key is SymmetricSecurityKey);
                    options.EncryptionCredentials.RemoveAll(c => c.Key is SymmetricSecurityKey);
                    options.Handlers.RemoveAll(h => h.ServiceDescriptor.ServiceType == typeof(TokenCredentials));
                })));
            before = await OidcClient.ConfidentialCodeFlowAsync(new Browser(previous.CreateClient()), email);
            Assert.That(new JsonWebToken(before.Get("refresh_token")).Alg, Is.EqualTo(SecurityAlgorithms.RsaOAEP));
        }

        await using var upgraded = new PlintoFactory(DatabaseProvider.Sqlite, connectionString, folder);
        var after = await OidcClient.RefreshAsync(upgraded.CreateClient(), before.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK), after.Json.ToString());
        Assert.That(new JsonWebToken(after.Get("refresh_token")).Alg, Is.EqualTo(SecurityAlgorithms.Aes256KW));
    }

    private static async Task<HttpStatusCode> UserInfoStatusAsync(HttpClient client, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new("Bearer", accessToken);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static (string Path, string Kid) WriteEcKey(string folder, string name, ECCurve curve)
    {
        using var ec = ECDsa.Create(curve);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, ec.ExportPkcs8PrivateKeyPem());
        var kid = Base64UrlEncoder.Encode(new ECDsaSecurityKey(ec).ComputeJwkThumbprint());
        return (path, kid);
    }

    private static (string Path, string Kid) WriteKey(string folder, string name)
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        var kid = Base64UrlEncoder.Encode(new RsaSecurityKey(rsa.ExportParameters(false)).ComputeJwkThumbprint());
        return (path, kid);
    }
}
