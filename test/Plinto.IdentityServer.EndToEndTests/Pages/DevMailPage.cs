using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

/// <summary>The development mail page: how a new user confirms an address without an SMTP server.</summary>
internal sealed class DevMailPage(IPage page)
{
    public async Task FollowConfirmationLinkAsync(string email)
    {
        await FollowLinkAsync(email, "Confirm your email address", "/account/confirm-email");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email confirmed" })).ToBeVisibleAsync();
    }

    public Task FollowInvitationLinkAsync(string email, string organizationName) =>
        FollowLinkAsync(email, $"You are invited to join {organizationName}", "/account/invitation");

    private async Task FollowLinkAsync(string email, string subject, string path)
    {
        // Sending is queued: reload until the message is there.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await page.GotoAsync("/dev/mail");
            var message = page.Locator("article.mail").Filter(new() { HasText = email }).Filter(new() { HasText = subject });
            if (await message.CountAsync() > 0)
            {
                await message.First.Locator($"a[href*='{path}']").ClickAsync();
                return;
            }

            await Task.Delay(200);
        }

        throw new AssertionException($"No message '{subject}' for {email} on /dev/mail.");
    }
}
