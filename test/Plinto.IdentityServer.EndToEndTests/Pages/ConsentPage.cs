using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

internal sealed class ConsentPage(IPage page)
{
    public async Task AllowAsync(string clientName)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Allow {clientName}?" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
    }
}
