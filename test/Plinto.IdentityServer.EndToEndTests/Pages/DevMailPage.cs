using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

/// <summary>The development mail page: how a new user confirms an address without an SMTP server.</summary>
internal sealed class DevMailPage(IPage page)
{
    public async Task FollowConfirmationLinkAsync(string email)
    {
        // Sending is queued: reload until the message is there.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await page.GotoAsync("/dev/mail");
            var message = page.Locator("article.mail").Filter(new() { HasText = email }).Filter(new() { HasText = "Confirm your email address" });
            if (await message.CountAsync() > 0)
            {
                await message.First.Locator("a[href*='/account/confirm-email']").ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email confirmed" })).ToBeVisibleAsync();
                return;
            }

            await Task.Delay(200);
        }

        throw new AssertionException($"No confirmation message for {email} on /dev/mail.");
    }
}
