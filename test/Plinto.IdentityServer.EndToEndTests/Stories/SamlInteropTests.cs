using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Plinto.IdentityServer.EndToEndTests.Infrastructure;
using Plinto.IdentityServer.EndToEndTests.Pages;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.EndToEndTests.Stories;

/// <summary>
/// Interoperability with an independently written SAML IdP: SimpleSAMLphp (Debian's package) on loopback. A person
/// of the organization signs in to an application through Plinto → SimpleSAMLphp → back, and the application gets
/// its code and tokens with <c>amr: ["ext"]</c> and the organization's claims.
/// </summary>
internal sealed class SamlInteropTests : BrowserFixture
{
    private const string Verifier = "saml-interop-verifier-saml-interop-verifier-0123456789";

    [Test]
    public async Task Sign_in_through_SimpleSAMLphp_to_an_application()
    {
        Assert.That(File.Exists(SimpleSamlPhpIdp.Php) && Directory.Exists(SimpleSamlPhpIdp.Root), Is.True,
            "php and simplesamlphp are missing: ./build.sh test installs Debian's php-cli and simplesamlphp packages.");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var domain = $"sso{suffix}.example.test";
        var email = $"ada@{domain}";
        await using var idp = new SimpleSamlPhpIdp("ada", "analytical-engine-1843", email);
        var metadata = await idp.MetadataAsync();

        // The organization (domain verified by a platform administrator) and its connection, made through the services.
        string connectionId;
        var slug = $"interop-{suffix}";
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var platform = new OrganizationActor("e2e", UserId: null, IsPlatformAdmin: true);
            var organizations = scope.ServiceProvider.GetRequiredService<OrganizationAdministration>();
            var organization = (await organizations.CreateAsync(platform, "Interop Ltd", slug, ownerUserId: null, CancellationToken.None)).Value!;
            var added = (await organizations.AddDomainAsync(platform, organization.Id, domain, CancellationToken.None)).Value!;
            Assert.That((await organizations.VerifyDomainAsync(platform, organization.Id, added.Id, byAdministrator: true, CancellationToken.None)).Succeeded, Is.True);
            var created = await scope.ServiceProvider.GetRequiredService<SamlConnections>().CreateAsync(platform, organization.Id,
                new SamlConnectionRequest(metadata, null, new SamlConnectionSettings(Name: "SimpleSAMLphp", EmailAttribute: "mail",
                    GivenNameAttribute: "givenName", FamilyNameAttribute: "sn")), Server.BaseUrl, CancellationToken.None);
            Assert.That(created.Succeeded, Is.True, created.Message);
            connectionId = created.Value!.Id;
        }

        idp.RegisterServiceProvider($"{Server.BaseUrl}/saml2/{connectionId}", $"{Server.BaseUrl}/saml2/{connectionId}/acs");

        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(Verifier)));
        await Page.GotoAsync($"/connect/authorize?client_id={PlintoServer.ClientId}&response_type=code&scope=openid%20profile%20organization"
            + $"&redirect_uri={Uri.EscapeDataString(Server.RedirectUri)}&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256");

        // Plinto's sign-in page: the address only, then the organization's IdP.
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Continue with single sign-on" }).ClickAsync();

        // SimpleSAMLphp's own login form.
        var username = Page.Locator("input[name=username]");
        try
        {
            await username.WaitForAsync(new() { Timeout = 15_000 });
        }
        catch (TimeoutException)
        {
            throw new AssertionException($"No SimpleSAMLphp login form at {Page.Url}: {await Page.ContentAsync()}\nLog: {idp.Log()}");
        }

        await username.FillAsync("ada");
        await Page.Locator("input[name=password]").FillAsync("analytical-engine-1843");
        await Page.Locator("button[type=submit], input[type=submit]").First.ClickAsync();

        // Back at Plinto (SimpleSAMLphp posts the response to the ACS): consent, then the application.
        try
        {
            await new ConsentPage(Page).AllowAsync(PlintoServer.ClientName);
        }
        catch (Exception error) when (error is PlaywrightException or TimeoutException)
        {
            throw new AssertionException($"Not at the consent page ({Page.Url}): {await Page.ContentAsync()}\nIdP log: {idp.Log()}");
        }

        var landed = (await Server.Client.NextCallbackAsync(TimeSpan.FromSeconds(15))).Url;
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(landed.Query)["code"].ToString();
        using var http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = Server.RedirectUri,
            ["client_id"] = PlintoServer.ClientId,
            ["code_verifier"] = Verifier,
        }));
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.IsSuccessStatusCode, Is.True, tokens.ToString());
        var claims = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(tokens.GetProperty("id_token").GetString()!.Split('.')[1])).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(claims.GetProperty("amr").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "ext" }));
            Assert.That(claims.GetProperty("org_slug").GetString(), Is.EqualTo(slug));
            Assert.That(claims.GetProperty("given_name").GetString(), Is.EqualTo("Ada"), "attributes from SimpleSAMLphp");
        });
    }
}
