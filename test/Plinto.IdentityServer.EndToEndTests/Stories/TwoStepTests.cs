using Microsoft.Playwright;
using Plinto.IdentityServer.EndToEndTests.Infrastructure;
using Plinto.IdentityServer.EndToEndTests.Pages;

namespace Plinto.IdentityServer.EndToEndTests.Stories;

/// <summary>An authenticator app from enrolment to the next sign-in, as a person does it in the browser.</summary>
internal sealed class TwoStepTests : BrowserFixture
{
    [Test]
    public async Task A_person_turns_on_an_authenticator_app_and_the_next_sign_in_asks_for_a_code()
    {
        var email = await Accounts.CreateAsync(Server);
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInAsync(email, Accounts.Password);
        var (secret, codes) = await TotpJourney.EnrollAsync(Page);
        Assert.That(codes, Has.Count.EqualTo(10));
        await Assertions.Expect(Page.GetByTestId("recovery-count")).ToHaveTextAsync("10");

        await Page.GotoAsync("/account/signout");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInAsync(email, Accounts.Password);
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Two-step verification" })).ToBeVisibleAsync();

        // A wrong code is refused with a clear message; the app's next code (the current one was used) lets in.
        await Page.GetByLabel("Verification code").FillAsync("000000");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Assertions.Expect(Page.Locator(".error-summary")).ToContainTextAsync("That code is not right");
        await Page.GetByLabel("Verification code").FillAsync(TotpJourney.Code(secret, DateTimeOffset.UtcNow, stepOffset: 1));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
    }
}
