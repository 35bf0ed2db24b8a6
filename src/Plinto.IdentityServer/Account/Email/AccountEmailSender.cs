using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Plinto.IdentityServer.Account.Email;

/// <summary>Composes the account e-mails (Identity's <see cref="IEmailSender{TUser}"/>) and hands them to the transport.</summary>
internal sealed partial class AccountEmailSender(MailQueue queue, IOptions<EmailOptions> options, ILogger<AccountEmailSender> logger) : IEmailSender<PlintoUser>
{
    public Task SendConfirmationLinkAsync(PlintoUser user, string email, string confirmationLink) =>
        SendAsync(email, "Confirm your email address",
            "Confirm your email address to finish creating your account.",
            "Confirm email", confirmationLink,
            "If you did not create an account, you can ignore this message.");

    public Task SendPasswordResetLinkAsync(PlintoUser user, string email, string resetLink) =>
        SendAsync(email, "Reset your password",
            "Someone asked to reset the password of your account. The link works once and expires soon.",
            "Choose a new password", resetLink,
            "If this was not you, ignore this message: your password stays as it is.");

    public Task SendPasswordResetCodeAsync(PlintoUser user, string email, string resetCode) =>
        SendAsync(email, "Your password reset code",
            $"Your password reset code is {resetCode}.", null, null,
            "If this was not you, ignore this message: your password stays as it is.");

    private Task SendAsync(string to, string subject, string lead, string? action, string? link, string footer)
    {
        var settings = options.Value;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(settings.FromName, settings.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;

        var encoder = HtmlEncoder.Default;
        var body = new BodyBuilder
        {
            TextBody = link is null ? $"{lead}\n\n{footer}\n" : $"{lead}\n\n{action}: {link}\n\n{footer}\n",
            HtmlBody = $"""
                <p>{encoder.Encode(lead)}</p>
                {(link is null ? string.Empty : $"<p><a href=\"{encoder.Encode(link)}\">{encoder.Encode(action!)}</a></p>")}
                <p style="color:#555">{encoder.Encode(footer)}</p>
                """,
        };
        message.Body = body.ToMessageBody();
        if (!queue.TryEnqueue(message))
        {
            LogQueueFull(logger);
        }

        return Task.CompletedTask;
    }

    /// <summary>An invitation to join an organization (the link works once, until it expires).</summary>
    public Task SendInvitationAsync(string email, string organizationName, string link, DateTimeOffset expiresAt) =>
        SendAsync(email, $"You are invited to join {organizationName}",
            $"You have been invited to join {organizationName}. The link works once and expires on {expiresAt:yyyy-MM-dd HH:mm} UTC.",
            "Accept the invitation", link,
            "If you were not expecting this invitation, you can ignore this message.");

    /// <summary>Sends a notice to an existing address that someone tried to register it again (no enumeration on sign-up).</summary>
    public Task SendAlreadyRegisteredAsync(string email, string signInLink, string resetLink) =>
        SendAsync(email, "Someone tried to create an account with your address",
            "An account already exists for this email address, so no new account was created. If it was you, sign in or reset your password.",
            "Reset your password", resetLink,
            $"Sign in: {signInLink}. If this was not you, you can ignore this message.");

    public Task SendEmailChangeLinkAsync(string newEmail, string link) =>
        SendAsync(newEmail, "Confirm your new email address",
            "Confirm this address to make it the one you sign in with. The link works once and expires soon.",
            "Use this address", link,
            "If you did not ask for this, ignore this message: nothing changes.");

    public Task SendEmailChangeRequestedNoticeAsync(string currentEmail) =>
        SendAsync(currentEmail, "Your sign-in email address is about to change",
            "Someone signed in to your account asked to change its email address. It changes only when the link sent to the new address is used.",
            null, null,
            "If this was not you, change your password now and sign out your other sessions from your account page.");

    public Task SendOneTimeCodeAsync(string email, string code, bool signIn) =>
        SendAsync(email, $"Your Plinto code: {code}",
            signIn ? $"Your sign-in code is {code}. It works once, for 10 minutes." : $"Your verification code is {code}. It works once, for 10 minutes.",
            null, null,
            "If you did not try to sign in, someone may know your email address" + (signIn ? "." : " and password: change your password."));

    public Task SendRecoveryCodesReplacedNoticeAsync(string email) =>
        SendAsync(email, "Your recovery codes were replaced",
            "New recovery codes were created for your account; the old ones no longer work.", null, null,
            "If this was not you, change your password now and sign out your other sessions from your account page.");

    public Task SendPasswordChangedNoticeAsync(string email) =>
        SendAsync(email, "Your password was changed",
            "The password of your account was just changed.", null, null,
            "If this was not you, reset your password now using \"Forgot password?\" on the sign-in page.");

    [LoggerMessage(Level = LogLevel.Error, Message = "The mail queue is full; a message was dropped.")]
    private static partial void LogQueueFull(ILogger logger);
}
