using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

internal sealed class SignUpPage(IPage page)
{
    public async Task CreateAccountAsync(string name, string email, string password)
    {
        await page.GetByLabel("Full name (optional)").FillAsync(name);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await page.WaitForURLAsync("**/account/check-email");
    }
}
