using Microsoft.Playwright;
using Plinto.IdentityServer.EndToEndTests.Pages;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>The passkey journeys' shared steps.</summary>
internal abstract class PasskeyFixture : BrowserFixture
{
    /// <summary>
    /// This browser context behaves like a browser without passkey autofill, so that a test drives the passkey
    /// button itself (with autofill, the virtual authenticator answers at once, before a test can act).
    /// </summary>
    protected Task WithoutAutofillAsync() =>
        Context.AddInitScriptAsync("if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = async () => false; }");

    /// <summary>A new account signs in with its password and adds a passkey from the account center.</summary>
    protected async Task<string> RegisterPasskeyAsync(string name)
    {
        var email = await Accounts.CreateAsync(Server);
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage%2Fpasskeys");
        await new SignInPage(Page).SignInAsync(email, Accounts.Password);
        await AddPasskeyAsync(name);
        return email;
    }

    protected async Task AddPasskeyAsync(string name)
    {
        await Page.GotoAsync("/account/manage/passkeys");
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Passkeys" })).ToBeVisibleAsync();
        await Page.GetByLabel("Name (optional)").FillAsync(name);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Assertions.Expect(Page.GetByText($"Passkey \"{name}\" added.")).ToBeVisibleAsync();
    }

    /// <summary>
    /// Opens the sign-in page without waiting for its load event: with a passkey in the authenticator, autofill
    /// may sign in (and navigate) before the page has finished loading.
    /// </summary>
    protected async Task OpenSignInAsync(string url)
    {
        try
        {
            await Page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
        }
        catch (PlaywrightException exception) when (exception.Message.Contains("interrupted by another navigation", StringComparison.Ordinal)
            || exception.Message.Contains("ERR_ABORTED", StringComparison.Ordinal))
        {
            // The autofill's own navigation overtook ours: expected; the assertions that follow check where it led.
        }
    }

    protected async Task SignOutAsync()
    {
        await Page.GotoAsync("/account/signout");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" })).ToBeVisibleAsync();
    }
}
