using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Pages;

/// <summary>The hosted organization pages, as an owner and as an invited person use them.</summary>
internal sealed class OrganizationPages(IPage page)
{
    public async Task CreateAsync(string name, string slug)
    {
        await page.GotoAsync("/account/organizations");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Short name (for URLs", new() { Exact = false }).FillAsync(slug);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
    }

    public async Task InviteAsync(string slug, string email)
    {
        await page.GotoAsync($"/account/organizations/{slug}/invitations");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Invitation sent to {email}");
    }

    /// <summary>The invitation page: a new account (password) or, signed in already, one click.</summary>
    public async Task AcceptAsync(string organizationName, string? newPassword)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Join {organizationName}" })).ToBeVisibleAsync();
        if (newPassword is not null)
        {
            await page.GetByLabel("Choose a password").FillAsync(newPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account and join" }).ClickAsync();
        }
        else
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Accept and join" }).ClickAsync();
        }

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"You joined {organizationName}");
    }

    public async Task ChooseAsync(string organizationName)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose an organization" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = organizationName }).ClickAsync();
    }
}
