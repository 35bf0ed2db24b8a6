using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace Plinto.IdentityServer.Account.Email;

/// <summary>Bound to <c>Plinto:Email</c>.</summary>
internal sealed class EmailOptions
{
    public const string Section = "Plinto:Email";

    [Required, EmailAddress]
    public string From { get; set; } = "no-reply@plinto.localhost";

    public string FromName { get; set; } = "Plinto";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>
    /// Where messages are written as .eml files when no SMTP host is set. Used in development (the default
    /// is <c>{DataDirectory}/mail</c>) and when set explicitly; anywhere else an SMTP host is required.
    /// </summary>
    public string? PickupDirectory { get; set; }
}

internal sealed class SmtpOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>MailKit's choice: Auto, None, SslOnConnect, StartTls or StartTlsWhenAvailable.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    public string? Username { get; set; }

    public string? Password { get; set; }
}
