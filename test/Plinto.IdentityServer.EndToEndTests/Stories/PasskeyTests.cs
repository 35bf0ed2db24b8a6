using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.EndToEndTests.Infrastructure;
using Plinto.IdentityServer.EndToEndTests.Pages;

namespace Plinto.IdentityServer.EndToEndTests.Stories;

/// <summary>
/// Passkeys in Chromium with the DevTools virtual authenticator: registration, passwordless sign-in through
/// autofill (conditional mediation: the virtual authenticator picks its passkey as a person would from the
/// list), a passkey as the second step after a password, and the attacks a relying party must refuse
/// (SECURITY-CHECKLIST: Passkeys).
/// </summary>
internal sealed class PasskeyTests : PasskeyFixture
{
    private const string PasskeyRefused = "That passkey could not be used to sign in";

    [Test]
    public async Task A_person_adds_a_passkey_signs_in_with_it_by_autofill_and_a_removed_passkey_no_longer_works()
    {
        var authenticator = await VirtualAuthenticator.AttachAsync(Context, Page);
        var email = await RegisterPasskeyAsync("Work laptop");
        await Assertions.Expect(Page.GetByTestId("passkey")).ToContainTextAsync("Work laptop");
        await Page.GetByTestId("passkey").GetByLabel("New name").FillAsync("Office laptop");
        await Page.GetByTestId("passkey").GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(Page.GetByTestId("passkey")).ToContainTextAsync("Office laptop");

        // The sign-in page offers the passkey in the email field's autofill; picking it signs in, no password.
        await SignOutAsync();
        await OpenSignInAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await Assertions.Expect(Page.Locator("main")).ToContainTextAsync(email);

        // A passkey with user verification is both factors (amr mfa): the account's second factor is satisfied, so
        // this session may add another passkey without a further step.
        await Page.GotoAsync("/account/manage/passkeys");
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" })).ToBeVisibleAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Verify with your second step" })).ToHaveCountAsync(0);
        Assert.That((await authenticator.CredentialsAsync()).Single().GetProperty("signCount").GetInt32(), Is.GreaterThan(0));

        // Just signed in with it, so the page allows removing it.
        await Page.GotoAsync("/account/manage/passkeys");
        await Page.GetByTestId("passkey").GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Assertions.Expect(Page.GetByText("It can no longer sign in")).ToBeVisibleAsync();

        // The authenticator still holds the key; the server no longer accepts it (and does not retry by itself).
        await SignOutAsync();
        await OpenSignInAsync("/account/signin");
        await Assertions.Expect(Page.GetByText(PasskeyRefused)).ToBeVisibleAsync();
        await Assertions.Expect(Page.Locator("form[data-conditional=on]")).ToHaveCountAsync(0);
    }

    [TestCase("no user verification")]
    [TestCase("no user presence")]
    [TestCase("bogus signature")]
    public async Task A_response_that_fails_a_WebAuthn_check_is_refused(string attack)
    {
        await WithoutAutofillAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(Context, Page);
        await RegisterPasskeyAsync("Phone");
        await SignOutAsync();

        await (attack switch
        {
            "no user verification" => authenticator.SetResponseOverridesAsync(badUserVerification: true),
            "no user presence" => authenticator.SetResponseOverridesAsync(badUserPresence: true),
            _ => authenticator.SetResponseOverridesAsync(bogusSignature: true),
        });
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        // Refused by the server (an error summary) or already by the browser (the passkey status line).
        await Assertions.Expect(Page.Locator(".error-summary, [data-passkey-status]:not([hidden])").First).ToBeVisibleAsync();
        Assert.That(Page.Url, Does.Contain("/account/signin"));
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToHaveCountAsync(0);

        // The same authenticator, honest again, signs in: the refusal was about the response, not the passkey.
        await authenticator.SetResponseOverridesAsync();
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task An_authenticator_that_cannot_verify_the_user_does_not_sign_in()
    {
        await WithoutAutofillAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(Context, Page);
        await RegisterPasskeyAsync("Old key");
        await SignOutAsync();

        // User verification is required: the browser itself refuses to use an authenticator that did not verify.
        await authenticator.SetUserVerifiedAsync(false);
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        await Assertions.Expect(Page.Locator("[data-passkey-status]")).ToContainTextAsync("Try again, or use your password");
        Assert.That(Page.Url, Does.Contain("/account/signin"));
    }

    [Test]
    public async Task A_cloned_credential_whose_counter_goes_backwards_is_refused()
    {
        await WithoutAutofillAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(Context, Page);
        await RegisterPasskeyAsync("Security key");

        // Two honest sign-ins move the stored counter forward.
        for (var i = 0; i < 2; i++)
        {
            await SignOutAsync();
            await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
            await new SignInPage(Page).SignInWithPasskeyAsync();
            await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        }

        await SignOutAsync();
        // The same key material with an old counter: what a cloned authenticator presents.
        var original = (await authenticator.CredentialsAsync()).Single();
        Assert.That(original.GetProperty("signCount").GetInt32(), Is.GreaterThanOrEqualTo(2));
        await authenticator.RemoveCredentialAsync(original.GetProperty("credentialId").GetString()!);
        await authenticator.AddCredentialAsync(original, signCount: 0);

        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        await Assertions.Expect(Page.Locator(".error-summary")).ToContainTextAsync(PasskeyRefused);
    }

    [Test]
    public async Task Someone_elses_wrong_passwords_do_not_stop_a_passkey_sign_in_but_a_deactivation_does()
    {
        // Anyone who knows the address can lock the account for five minutes, again and again, with wrong passwords.
        // That lockout stops guessing; a passkey cannot be guessed, so it still signs in. A deactivation stops it.
        await WithoutAutofillAsync();
        await VirtualAuthenticator.AttachAsync(Context, Page);
        var email = await RegisterPasskeyAsync("Phone");
        await SignOutAsync();
        await ChangeAccountAsync(email, async (users, account) =>
        {
            for (var i = 0; i < 5; i++)
            {
                await users.AccessFailedAsync(account);
            }

            Assert.That(await users.IsLockedOutAsync(account), Is.True);
        });

        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();

        await SignOutAsync();
        await ChangeAccountAsync(email, (users, account) => users.DeactivateAsync(account));
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInWithPasskeyAsync();
        await Assertions.Expect(Page.Locator(".error-summary")).ToContainTextAsync("This account cannot sign in right now.");
    }

    private async Task ChangeAccountAsync(string email, Func<UserManager<PlintoUser>, PlintoUser, Task> change)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        await change(users, (await users.FindByEmailAsync(email))!);
    }

    [Test]
    public async Task The_same_authenticator_cannot_register_a_second_passkey_for_the_account()
    {
        await WithoutAutofillAsync();
        await VirtualAuthenticator.AttachAsync(Context, Page);
        await RegisterPasskeyAsync("First");

        // The account now has a second factor: this password-only session proves it before adding another.
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" })).ToHaveCountAsync(0);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Verify with your second step" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Use a passkey" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Passkeys" })).ToBeVisibleAsync();

        await Page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Assertions.Expect(Page.GetByText("This device already has a passkey for your account")).ToBeVisibleAsync();
        await Assertions.Expect(Page.GetByTestId("passkey")).ToHaveCountAsync(1);
    }

    [Test]
    public async Task A_passkey_is_the_second_step_after_a_password()
    {
        await WithoutAutofillAsync();
        await VirtualAuthenticator.AttachAsync(Context, Page);
        var email = await Accounts.CreateAsync(Server);
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInAsync(email, Accounts.Password);
        await TotpJourney.EnrollAsync(Page); // two-step verification on; this session now has both factors
        await AddPasskeyAsync("Phone");

        await SignOutAsync();
        await Page.GotoAsync("/account/signin?returnUrl=%2Faccount%2Fmanage");
        await new SignInPage(Page).SignInAsync(email, Accounts.Password);
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Two-step verification" })).ToBeVisibleAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Use a passkey" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
    }
}

/// <summary>The per-account passkey limit, in the browser (a server allowing one passkey).</summary>
internal sealed class PasskeyLimitTests : PasskeyFixture
{
    protected override IReadOnlyDictionary<string, string> ServerSettings => new Dictionary<string, string> { ["Plinto:Passkeys:MaxPerUser"] = "1" };

    [Test]
    public async Task An_account_at_the_limit_is_offered_no_new_passkey()
    {
        await VirtualAuthenticator.AttachAsync(Context, Page);
        await RegisterPasskeyAsync("Only one");
        await Assertions.Expect(Page.GetByText("You have the most passkeys an account can have (1)")).ToBeVisibleAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" })).ToHaveCountAsync(0);
        await Assertions.Expect(Page.GetByTestId("passkey")).ToHaveCountAsync(1);
    }
}
