using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Plinto.IdentityServer.EndToEndTests.Infrastructure;
using Plinto.IdentityServer.EndToEndTests.Pages;

namespace Plinto.IdentityServer.EndToEndTests.Stories;

/// <summary>
/// An owner invites someone to two organizations; the person accepts (creating the account, then with one
/// click), signs in to an application that asks for an organization, picks one, and the application receives
/// that organization's claims.
/// </summary>
internal sealed class OrganizationTests : BrowserFixture
{
    private const string Verifier = "org-e2e-verifier-org-e2e-verifier-org-e2e-verifier";

    protected override IReadOnlyDictionary<string, string> ServerSettings => new Dictionary<string, string> { ["Plinto:Organizations:SelfService"] = "true" };

    [Test]
    public async Task Invite_accept_sign_in_with_organization_selection_and_the_client_receives_org_claims()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (globex, initech) = ($"globex-{suffix}", $"initech-{suffix}");
        var invitee = $"e2e-invitee-{suffix}@example.test";

        // The owner creates two organizations and invites the same person to both.
        var owner = await Accounts.CreateAsync(Server);
        await Page.GotoAsync("/account/signin");
        await new SignInPage(Page).SignInAsync(owner, Accounts.Password);
        await Page.WaitForURLAsync("**/");
        var organizations = new OrganizationPages(Page);
        await organizations.CreateAsync("Globex", globex);
        await organizations.InviteAsync(globex, invitee);
        await organizations.CreateAsync("Initech", initech);
        await organizations.InviteAsync(initech, invitee);
        await Context.ClearCookiesAsync();

        // The invited person creates the account from the first link, and accepts the second one signed in.
        var mail = new DevMailPage(Page);
        await mail.FollowInvitationLinkAsync(invitee, "Globex");
        await organizations.AcceptAsync("Globex", newPassword: Accounts.Password);
        await mail.FollowInvitationLinkAsync(invitee, "Initech");
        await organizations.AcceptAsync("Initech", newPassword: null);
        await Context.ClearCookiesAsync();

        // An application asks for an organization: sign in, pick one, consent.
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(Verifier)));
        await Page.GotoAsync($"/connect/authorize?client_id={PlintoServer.ClientId}&response_type=code&scope=openid%20organization"
            + $"&redirect_uri={Uri.EscapeDataString(Server.RedirectUri)}&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256");
        await new SignInPage(Page).SignInAsync(invitee, Accounts.Password);
        await organizations.ChooseAsync("Initech");
        await new ConsentPage(Page).AllowAsync(PlintoServer.ClientName);

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
            Assert.That(claims.GetProperty("org_slug").GetString(), Is.EqualTo(initech));
            Assert.That(claims.GetProperty("org_roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "member" }));
            Assert.That(claims.GetProperty("org_permissions").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "org:read" }));
        });
    }
}
