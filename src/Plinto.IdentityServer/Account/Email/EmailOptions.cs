using System.ComponentModel.DataAnnotations;

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

    /// <summary>1–65535, checked at start (data annotations do not reach nested options).</summary>
    public int Port { get; set; } = 587;

    /// <summary>Auto, None, SslOnConnect, StartTls or StartTlsWhenAvailable (MailKit's choices, same names).</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    public string? Username { get; set; }

    public string? Password { get; set; }
}

/// <summary>
/// MailKit's <c>SecureSocketOptions</c>, same names and values. Plinto's own type so that binding and validating the
/// options at start does not load MailKit: a node that has sent no mail has not mapped it (docs/performance.md, lever 20).
/// </summary>
internal enum SmtpSecurity
{
    /// <summary>No encryption.</summary>
    None = 0,

    /// <summary>SSL on connect for port 465, otherwise STARTTLS when the server offers it.</summary>
    Auto = 1,

    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    SslOnConnect = 2,

    /// <summary>STARTTLS, required.</summary>
    StartTls = 3,

    /// <summary>STARTTLS when the server offers it, plain text otherwise.</summary>
    StartTlsWhenAvailable = 4,
}
