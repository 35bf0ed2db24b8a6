using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
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
        // The presenter of the token may introspect it.
        var introspection = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = token });
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.True);
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
