using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Plinto.IdentityServer.Account.Email;

/// <summary>Delivers a finished message. One implementation is chosen at start from <see cref="EmailOptions"/>.</summary>
internal interface IMailTransport
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

internal sealed partial class SmtpMailTransport(IOptions<EmailOptions> options, ILogger<SmtpMailTransport> logger) : IMailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value.Smtp;
        using var client = new SmtpClient();
        // Same names and values as MailKit's options (SmtpEmailTests); anything else is refused at start.
        await client.ConnectAsync(smtp.Host!, smtp.Port, (SecureSocketOptions)smtp.Security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.Username))
        {
            await client.AuthenticateAsync(smtp.Username, smtp.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
        LogSent(logger, message.MessageId ?? "-", smtp.Host!);
    }

    // Never the body or the recipient: messages carry confirmation and reset links.
    [LoggerMessage(Level = LogLevel.Information, Message = "Sent message {MessageId} through {SmtpHost}.")]
    private static partial void LogSent(ILogger logger, string messageId, string smtpHost);
}

/// <summary>Writes each message as an .eml file; the development mail page reads the folder.</summary>
internal sealed partial class PickupDirectoryMailTransport(MailDropFolder folder, TimeProvider time, ILogger<PickupDirectoryMailTransport> logger) : IMailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var name = $"{time.GetUtcNow():yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.eml";
        var path = Path.Combine(folder.Path, name);
        // Written aside, then renamed: a reader of the folder never sees half a message.
        var partial = path + ".partial";
        await message.WriteToAsync(partial, cancellationToken);
        File.Move(partial, path);
        LogWritten(logger, message.MessageId ?? "-", folder.Path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No SMTP host is configured: wrote message {MessageId} to {Folder}.")]
    private static partial void LogWritten(ILogger logger, string messageId, string folder);
}

/// <summary>The resolved pickup folder, or null path when SMTP is used.</summary>
internal sealed record MailDropFolder(string Path);
