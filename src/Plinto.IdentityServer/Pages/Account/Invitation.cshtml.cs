using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Pages.Account;

/// <summary>
/// The page an invitation link opens. A signed-in person with the invited address accepts with one click; someone
/// with an account for that address signs in first; anyone else creates the account here (the link, sent to that
/// mailbox, proves the address). Unknown, used, revoked and expired links all get the same answer.
/// </summary>
internal sealed class InvitationModel(
    OrganizationMemberships memberships,
    UserManager<PlintoUser> users,
    UserSessions sessions,
    AccountAttemptLimiter attempts,
    Plinto.IdentityServer.Account.Passwords.PasswordHashing hashing,
    TimeProvider time) : PageModel
{
    public const string InvalidMessage = "This invitation link is not valid any more. Ask for a new invitation.";

    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string? OrganizationName { get; private set; }

    public string? InvitedEmail { get; private set; }

    /// <summary>Why the invitation cannot be used (shown instead of the form).</summary>
    public string? Problem { get; private set; }

    public bool SignedIn { get; private set; }

    public bool HasAccount { get; private set; }

    public sealed class InputModel
    {
        [StringLength(256)]
        [Display(Name = "Full name (optional)")]
        public string? Name { get; set; }

        [DataType(DataType.Password)]
        [Display(Name = "Choose a password")]
        public string? Password { get; set; }
    }

    public async Task<IActionResult> OnGetAsync()
    {
        await LoadAsync();
        return Page();
    }

    /// <summary>Accept as the signed-in person.</summary>
    public async Task<IActionResult> OnPostAcceptAsync()
    {
        if (!await LoadAsync() || !SignedIn)
        {
            return Page();
        }

        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return RedirectToPage("/Account/SignIn", new { ReturnUrl = Url.Page("/Account/Invitation", new { Token }) });
        }

        Problem = await memberships.AcceptInvitationAsync(Token!, user, HttpContext.RequestAborted);
        return Problem is null ? RedirectToPage("/Account/Organizations/Index", new { joined = OrganizationName }) : Page();
    }

    /// <summary>Create the invited account and accept, in one step.</summary>
    public async Task<IActionResult> OnPostCreateAsync()
    {
        if (!await LoadAsync() || SignedIn || HasAccount)
        {
            return Page();
        }

        if (string.IsNullOrEmpty(Input.Password))
        {
            ModelState.AddModelError("Input.Password", "Choose a password.");
            return Page();
        }

        if (!attempts.TryAttempt("invitation:" + InvitedEmail))
        {
            return this.TooManyAttempts("Too many attempts. Wait a minute, then try again.");
        }

        var user = new PlintoUser
        {
            UserName = InvitedEmail,
            Email = InvitedEmail,
            // The link was sent to this address and only its holder can use it: the address is proven.
            EmailConfirmed = true,
            Name = string.IsNullOrWhiteSpace(Input.Name) ? null : Input.Name.Trim(),
            CreatedAt = time.GetUtcNow(),
        };
        var password = Input.Password;
        var created = await hashing.RunAsync(() => users.CreateAsync(user, password), HttpContext.RequestAborted);
        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                ModelState.AddModelError(error.Code.Contains("Password", StringComparison.Ordinal) ? "Input.Password" : string.Empty, error.Description);
            }

            return Page();
        }

        Problem = await memberships.AcceptInvitationAsync(Token!, user, HttpContext.RequestAborted);
        if (Problem is not null)
        {
            // Claimed by a concurrent request between the check and the acceptance: keep no half-made account.
            await users.DeleteAsync(user);
            return Page();
        }

        // The address is confirmed now: organizations that verified its domain take the person in too.
        await memberships.AutoJoinAsync(user, HttpContext.RequestAborted);
        await sessions.SignInAsync(user, ["pwd"], remember: false);
        return RedirectToPage("/Account/Organizations/Index", new { joined = OrganizationName });
    }

    private async Task<bool> LoadAsync()
    {
        if (await memberships.FindInvitationAsync(Token, HttpContext.RequestAborted) is not var (invitation, organization))
        {
            Problem = InvalidMessage;
            return false;
        }

        OrganizationName = organization.Name;
        InvitedEmail = invitation.Email;
        var session = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        SignedIn = session.Succeeded;
        HasAccount = !SignedIn && await users.FindByEmailAsync(invitation.Email) is not null;
        return true;
    }
}
