using System.Text.RegularExpressions;
using MailKit.Security;
using Plinto.IdentityServer.Account.Email;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>With an SMTP host configured, account e-mails go out through MailKit over a real SMTP conversation.</summary>
internal sealed partial class SmtpEmailTests
{
    [Test]
    public void Every_security_setting_is_MailKits_option_of_the_same_name_and_value()
    {
        // Plinto:Email:Smtp:Security binds to Plinto's own enum (MailKit stays unloaded until mail is sent) and is
        // passed on by value: the names documented and accepted must be MailKit's, each with MailKit's value.
        Assert.That(Enum.GetNames<SmtpSecurity>(), Is.EquivalentTo(Enum.GetNames<SecureSocketOptions>()));
        foreach (var security in Enum.GetValues<SmtpSecurity>())
        {
            Assert.That(Enum.Parse<SecureSocketOptions>(security.ToString()), Is.EqualTo((SecureSocketOptions)security));
        }
    }

    [TestCase("Plinto:Email:Smtp:Security", "7", "Plinto:Email:Smtp:Security must be Auto, None")]
    [TestCase("Plinto:Email:Smtp:Security", "Tls", "Plinto:Email:Smtp:Security")]
    [TestCase("Plinto:Email:Smtp:Port", "0", "Plinto:Email:Smtp:Port must be between 1 and 65535")]
    public async Task A_bad_SMTP_setting_stops_start_up_naming_the_setting(string key, string value, string message)
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Email:PickupDirectory"] = null,
            ["Plinto:Email:Smtp:Host"] = "127.0.0.1",
            [key] = value,
        });

        // Never a quiet fallback to another (weaker) choice: a number outside the enum used to mean "Auto".
        Assert.That(Assert.Catch(() => _ = factory.Server)!.ToString(), Does.Contain(message));
    }

    [Test]
    public async Task The_confirmation_email_is_sent_over_SMTP_and_its_link_confirms_the_address()
    {
        await using var smtp = new SmtpSink();
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Plinto:Email:PickupDirectory"] = null,
            ["Plinto:Email:Smtp:Host"] = "127.0.0.1",
            ["Plinto:Email:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plinto:Email:Smtp:Security"] = "None",
            ["Plinto:Email:From"] = "accounts@plinto.test",
        });
        var browser = new Browser(factory.CreateClient());
        var email = UniqueUser.Email("smtp");

        var (_, signUp) = await browser.OpenAsync("/account/signup");
        await browser.SubmitAsync(signUp, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var mail = await smtp.Received.Reader.ReadAsync(timeout.Token);
        Assert.That(mail.From, Is.EqualTo("accounts@plinto.test"));
        Assert.That(mail.To, Is.EqualTo(new[] { email }));
        Assert.That(mail.Data, Does.Contain("Subject: Confirm your email address"));
        Assert.That(Directory.Exists(factory.MailFolder), Is.False, "nothing goes to a pickup folder when SMTP is configured");

        // Quoted-printable may fold long lines: unfold before reading the link.
        var text = mail.Data.Replace("=\r\n", string.Empty, StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        var link = new Uri(ConfirmLink().Match(text).Value);
        var (_, page) = await browser.OpenAsync(link.PathAndQuery);
        Assert.That(page.QuerySelector("h1")!.TextContent, Is.EqualTo("Email confirmed"));
    }

    [Test]
    public async Task Outside_development_start_up_requires_an_smtp_host()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite,
            new Dictionary<string, string?> { ["Plinto:Email:PickupDirectory"] = null });

        Assert.That(Assert.Catch(() => _ = factory.Server)!.ToString(), Does.Contain("Plinto:Email:Smtp:Host"));
    }

    [GeneratedRegex(@"https://localhost/account/confirm-email\?[^\s""<]+")]
    private static partial Regex ConfirmLink();
}
