using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>Authorization code + PKCE through the hosted pages, checked the way a relying party checks it.</summary>
internal sealed class AuthorizationCodeFlowTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Code_flow_with_PKCE_issues_tokens_a_relying_party_can_validate_with_the_JWKS()
    {
        var email = UniqueUser.Email();
        await Factory.CreateUserAsync(email, UniqueUser.Password, "Ada Lovelace");
        var browser = NewBrowser();
        var pkce = OidcClient.NewPkce();
        var url = OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid profile email offline_access api", pkce);
        var sent = OidcClient.Query(new Uri(new Uri("https://localhost"), url));

        var callback = await OidcClient.AuthorizeAsync(browser, url, email, UniqueUser.Password);
        var response = OidcClient.Query(callback);

        Assert.That(callback.GetLeftPart(UriPartial.Path), Is.EqualTo(ConfidentialRedirect));
        Assert.That(response["state"], Is.EqualTo(sent["state"]));
        Assert.That(response["iss"], Is.EqualTo("https://localhost/"), "RFC 9207 iss parameter");

        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, response["code"], ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());

        var idToken = await Jwks.ValidateAsync(browser.Client, tokens.Get("id_token"), ConfidentialClientId);
        Assert.That(idToken.IsValid, Is.True, idToken.Exception?.Message);
        Assert.Multiple(() =>
        {
            Assert.That(idToken.Claim("nonce"), Is.EqualTo(sent["nonce"]));
            Assert.That(idToken.Claim("email"), Is.EqualTo(email));
            Assert.That(idToken.Claim("name"), Is.EqualTo("Ada Lovelace"));
            Assert.That(long.Parse(idToken.Claim("auth_time")), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(120));
            Assert.That(idToken.Claims("amr").Select(c => c.Value), Does.Contain("pwd"));
            Assert.That(((JsonWebToken)idToken.SecurityToken).Kid, Is.Not.Empty);
            Assert.That(((JsonWebToken)idToken.SecurityToken).Alg, Is.EqualTo("RS256"));
        });

        // Resource servers need nothing but the JWKS: the access token is a signed, unencrypted JWT.
        var accessToken = await Jwks.ValidateAsync(browser.Client, tokens.Get("access_token"), ApiAudience, type: "at+jwt");
        Assert.That(accessToken.IsValid, Is.True, accessToken.Exception?.Message);
        Assert.That(accessToken.Claim("sub"), Is.EqualTo(idToken.Claim("sub")));
        Assert.That(accessToken.Claim("scope").Split(' '), Does.Contain("api"));
        Assert.That(tokens.Has("refresh_token"), Is.True, "offline_access gives a refresh token");
    }

    [Test]
    public async Task Without_offline_access_there_is_no_refresh_token()
    {
        var (_, browser) = await SignedInUserAsync();
        var tokens = await WebClientTokensAsync(browser, "openid");

        Assert.That(tokens.Has("refresh_token"), Is.False);
    }

    [Test]
    public async Task A_code_used_twice_fails_and_revokes_what_the_first_use_issued()
    {
        var (_, browser) = await SignedInUserAsync();
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid offline_access", pkce));
        var code = OidcClient.Query(callback)["code"];

        var first = await OidcClient.RedeemCodeAsync(browser.Client, code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        var second = await OidcClient.RedeemCodeAsync(browser.Client, code, ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);

        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.Error, Is.EqualTo("invalid_grant"));

        // RFC 6749 §4.1.2: the tokens issued from the replayed code are revoked.
        var refresh = await OidcClient.RefreshAsync(browser.Client, first.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refresh.Error, Is.EqualTo("invalid_grant"));
        var introspection = await Introspect(browser.Client, first.Get("access_token"));
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_code_is_bound_to_its_client_its_redirect_uri_and_its_verifier()
    {
        var (_, browser) = await SignedInUserAsync();

        // RFC 6749 §4.1.3: the redirect_uri must be identical to the one of the authorization request.
        var (code, pkce) = await CodeAsync(browser);
        var wrongRedirect = await OidcClient.RedeemCodeAsync(browser.Client, code, ConfidentialRedirect + "/other", pkce, ConfidentialClientId, ConfidentialSecret);
        Assert.That(wrongRedirect.Error, Is.EqualTo("invalid_grant"));

        // RFC 6749 §4.1.3: the code was issued to another client.
        (code, pkce) = await CodeAsync(browser);
        var wrongClient = await OidcClient.RedeemCodeAsync(browser.Client, code, ConfidentialRedirect, pkce, PublicClientId, null);
        Assert.That(wrongClient.Error, Is.EqualTo("invalid_grant"));

        // RFC 7636 §4.6: the verifier must match the challenge.
        (code, _) = await CodeAsync(browser);
        var wrongVerifier = await OidcClient.RedeemCodeAsync(browser.Client, code, ConfidentialRedirect, OidcClient.NewPkce(), ConfidentialClientId, ConfidentialSecret);
        Assert.That(wrongVerifier.Error, Is.EqualTo("invalid_grant"));
    }

    private static async Task<(string Code, OidcClient.Pkce Pkce)> CodeAsync(Browser browser)
    {
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce));
        return (OidcClient.Query(callback)["code"], pkce);
    }

    [Test]
    public async Task Refresh_tokens_rotate_and_reusing_an_old_one_revokes_the_chain()
    {
        var (_, browser) = await SignedInUserAsync();
        var original = (await WebClientTokensAsync(browser, "openid offline_access")).Get("refresh_token");

        var rotated = await OidcClient.RefreshAsync(browser.Client, original, ConfidentialClientId, ConfidentialSecret);
        Assert.That(rotated.Status, Is.EqualTo(HttpStatusCode.OK), rotated.Json.ToString());
        Assert.That(rotated.Get("refresh_token"), Is.Not.EqualTo(original));
        var idToken = await Jwks.ValidateAsync(browser.Client, rotated.Get("id_token"), ConfidentialClientId);
        Assert.That(idToken.IsValid, Is.True);

        // RFC 9700 §4.14.2: reuse of a rotated token (no leeway in tests) revokes the newest one too.
        var replay = await OidcClient.RefreshAsync(browser.Client, original, ConfidentialClientId, ConfidentialSecret);
        Assert.That(replay.Error, Is.EqualTo("invalid_grant"));
        var afterReplay = await OidcClient.RefreshAsync(browser.Client, rotated.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(afterReplay.Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task A_wrong_client_secret_is_invalid_client()
    {
        var result = await OidcClient.TokenAsync(Factory.CreateClient(), MachineClientId, MachineSecret + "x",
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });

        Assert.That(result.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(result.Error, Is.EqualTo("invalid_client"));
    }

    [Test]
    public async Task Client_credentials_gives_an_access_token_for_the_api_and_no_refresh_token()
    {
        var client = Factory.CreateClient();
        var result = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });

        Assert.That(result.Status, Is.EqualTo(HttpStatusCode.OK), result.Json.ToString());
        Assert.That(result.Has("refresh_token"), Is.False);
        Assert.That(result.Has("id_token"), Is.False);
        var token = await Jwks.ValidateAsync(client, result.Get("access_token"), ApiAudience, type: "at+jwt");
        Assert.That(token.IsValid, Is.True, token.Exception?.Message);
        Assert.That(token.Claim("sub"), Is.EqualTo(MachineClientId));
    }

    [Test]
    public async Task A_client_cannot_ask_for_a_scope_it_was_not_given()
    {
        var result = await OidcClient.TokenAsync(Factory.CreateClient(), MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "api email" });

        // OpenIddict answers invalid_request for a scope the client has no permission for.
        Assert.That(result.Error, Is.AnyOf("invalid_scope", "invalid_request"));
        Assert.That(result.Has("access_token"), Is.False);
    }

    [Test]
    public async Task Userinfo_returns_the_claims_of_the_granted_scopes()
    {
        var (email, browser) = await SignedInUserAsync("Grace Hopper");
        var tokens = await WebClientTokensAsync(browser, "openid email");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Get("access_token"));
        using var response = await browser.Client.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(json.GetProperty("email").GetString(), Is.EqualTo(email));
        Assert.That(json.GetProperty("email_verified").GetBoolean(), Is.True);
        Assert.That(json.TryGetProperty("name", out _), Is.False, "profile was not granted");
        Assert.That(json.GetProperty("sub").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task Userinfo_without_a_valid_token_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var response = await Factory.CreateClient().SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"));
    }

    [Test]
    public async Task Introspection_and_revocation_follow_RFC_7662_and_7009()
    {
        var (_, browser) = await SignedInUserAsync();
        var tokens = await WebClientTokensAsync(browser, "openid offline_access api");

        var active = await Introspect(browser.Client, tokens.Get("access_token"));
        Assert.That(active.GetProperty("active").GetBoolean(), Is.True);
        Assert.That(active.GetProperty("client_id").GetString(), Is.EqualTo(ConfidentialClientId));
        Assert.That(active.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));

        await OidcClient.PostFormAsync(browser.Client, "/connect/revoke", ConfidentialClientId, ConfidentialSecret,
            new Dictionary<string, string> { ["token"] = tokens.Get("refresh_token"), ["token_type_hint"] = "refresh_token" });
        var refresh = await OidcClient.RefreshAsync(browser.Client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refresh.Error, Is.EqualTo("invalid_grant"), "a revoked refresh token cannot be used");

        await OidcClient.PostFormAsync(browser.Client, "/connect/revoke", ConfidentialClientId, ConfidentialSecret,
            new Dictionary<string, string> { ["token"] = tokens.Get("access_token") });
        var revoked = await Introspect(browser.Client, tokens.Get("access_token"));
        Assert.That(revoked.GetProperty("active").GetBoolean(), Is.False);
    }

    private static Task<JsonElement> Introspect(HttpClient client, string token) =>
        OidcClient.PostFormAsync(client, "/connect/introspect", ConfidentialClientId, ConfidentialSecret,
            new Dictionary<string, string> { ["token"] = token });
}
