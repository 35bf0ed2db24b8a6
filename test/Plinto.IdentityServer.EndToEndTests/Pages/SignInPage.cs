using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

internal sealed class SignInPage(IPage page)
{
    public async Task SignInAsync(string email, string password)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Exact = false })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Email")).ToHaveAttributeAsync("autocomplete", "username webauthn");
        await Assertions.Expect(page.GetByLabel("Password")).ToHaveAttributeAsync("autocomplete", "current-password");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    public async Task SignInWithPasskeyAsync() =>
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
}
