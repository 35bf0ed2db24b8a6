using Microsoft.Playwright;
using Plinto.IdentityServer.EndToEndTests.Infrastructure;
using Plinto.IdentityServer.EndToEndTests.Pages;

namespace Plinto.IdentityServer.EndToEndTests.Stories;

/// <summary>A new person signs up, confirms their address, and signs in to an application through Plinto.</summary>
internal sealed class SignUpAndSignInTests : BrowserFixture
{
    [Test]
    public async Task A_new_user_signs_up_confirms_and_signs_in_to_an_application()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        const string password = "a long and unusual passphrase 2026";

        await Page.GotoAsync("/account/signup");
        await new SignUpPage(Page).CreateAccountAsync("Erin Example", email, password);
        await new DevMailPage(Page).FollowConfirmationLinkAsync(email);

        // The application sends the browser to Plinto; the redirect back lands at the application's listener.
        var state = Guid.NewGuid().ToString("N");
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(
            System.Security.Cryptography.SHA256.HashData("e2e-verifier-e2e-verifier-e2e-verifier-e2e-verifier"u8));
        await Page.GotoAsync($"/connect/authorize?client_id={PlintoServer.ClientId}&response_type=code&scope=openid%20profile%20email"
            + $"&redirect_uri={Uri.EscapeDataString(Server.RedirectUri)}&state={state}&nonce=n-{state}"
            + $"&code_challenge={challenge}&code_challenge_method=S256");

        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = $"Sign in to {PlintoServer.ClientName}" })).ToBeVisibleAsync();
        await new SignInPage(Page).SignInAsync(email, password);
        await new ConsentPage(Page).AllowAsync(PlintoServer.ClientName);

        var landed = (await Server.Client.NextCallbackAsync(TimeSpan.FromSeconds(15))).Url;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(landed.Query);
        Assert.That(landed.GetLeftPart(UriPartial.Path), Is.EqualTo(Server.RedirectUri));
        Assert.That(query["state"].ToString(), Is.EqualTo(state));
        Assert.That(query["code"].ToString(), Is.Not.Empty);
        Assert.That(query["iss"].ToString(), Is.EqualTo(Server.BaseUrl + "/"));

        // response_mode=form_post (the ASP.NET Core handler's default): OpenIddict's page posts the response with
        // an inline script that the CSP allows by hash; consent is remembered, so no page is shown.
        await Page.GotoAsync($"/connect/authorize?client_id={PlintoServer.ClientId}&response_type=code&scope=openid"
            + $"&redirect_uri={Uri.EscapeDataString(Server.RedirectUri)}&state=second&response_mode=form_post"
            + $"&code_challenge={challenge}&code_challenge_method=S256");
        var posted = await Server.Client.NextCallbackAsync(TimeSpan.FromSeconds(15));
        Assert.That(posted.Method, Is.EqualTo("POST"));
        Assert.That(posted.Url.Query, Is.Empty);
        Assert.That(posted.Body, Does.Contain("code=").And.Contain("state=second"));
    }

    [Test]
    public async Task The_sign_in_page_has_labelled_fields_and_says_what_went_wrong_in_an_alert()
    {
        await Page.GotoAsync("/account/signin");
        await new SignInPage(Page).SignInAsync($"nobody-{Guid.NewGuid():N}@example.test", "not a real password");

        var alert = Page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Email or password is incorrect.");
        await Assertions.Expect(alert).ToBeFocusedAsync();
    }
}
