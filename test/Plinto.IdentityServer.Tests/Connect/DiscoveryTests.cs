using System.Text.Json;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Connect;

internal sealed class DiscoveryTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Discovery_document_advertises_code_flow_with_S256_only()
    {
        var client = Factory.CreateClient();
        var json = JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("issuer").GetString(), Is.EqualTo("https://localhost/"));
            Assert.That(json.GetProperty("authorization_endpoint").GetString(), Is.EqualTo("https://localhost/connect/authorize"));
            Assert.That(json.GetProperty("token_endpoint").GetString(), Is.EqualTo("https://localhost/connect/token"));
            Assert.That(json.GetProperty("userinfo_endpoint").GetString(), Is.EqualTo("https://localhost/connect/userinfo"));
            Assert.That(json.GetProperty("end_session_endpoint").GetString(), Is.EqualTo("https://localhost/connect/endsession"));
            Assert.That(json.GetProperty("introspection_endpoint").GetString(), Is.EqualTo("https://localhost/connect/introspect"));
            Assert.That(json.GetProperty("revocation_endpoint").GetString(), Is.EqualTo("https://localhost/connect/revoke"));
            Assert.That(json.GetProperty("jwks_uri").GetString(), Is.EqualTo("https://localhost/.well-known/jwks"));
            Assert.That(Strings(json, "response_types_supported"), Is.EquivalentTo(new[] { "code" }));
            Assert.That(Strings(json, "code_challenge_methods_supported"), Is.EquivalentTo(new[] { "S256" }));
            Assert.That(Strings(json, "grant_types_supported"), Is.EquivalentTo(new[] { "authorization_code", "refresh_token", "client_credentials" }));
            Assert.That(Strings(json, "id_token_signing_alg_values_supported"), Does.Contain("RS256"));
            Assert.That(Strings(json, "scopes_supported"), Is.SupersetOf(new[] { "openid", "profile", "email", "offline_access", "api" }));
            // RFC 9207: the iss parameter is sent in authorization responses.
            Assert.That(json.GetProperty("authorization_response_iss_parameter_supported").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task Jwks_publishes_public_RSA_signing_keys_only()
    {
        var keys = await Jwks.FetchAsync(Factory.CreateClient());

        Assert.That(keys.Keys, Is.Not.Empty);
        Assert.That(keys.Keys.Select(k => k.Kty), Is.All.EqualTo("RSA"));
        Assert.That(keys.Keys.Select(k => k.Kid), Is.All.Not.Null.And.All.Not.Empty);
        Assert.That(keys.Keys.Any(k => k.D is not null || k.P is not null || k.Q is not null), Is.False, "private key material must never be published");
    }

    private static IEnumerable<string?> Strings(JsonElement json, string name) =>
        json.GetProperty(name).EnumerateArray().Select(e => e.GetString());
}
