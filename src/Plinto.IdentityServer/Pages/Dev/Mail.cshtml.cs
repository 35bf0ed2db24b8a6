using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MimeKit;
using Plinto.IdentityServer.Account.Email;

namespace Plinto.IdentityServer.Pages.Dev;

/// <summary>
/// Development only: lists the messages the pickup-folder transport wrote, so a new user can follow the
/// confirmation link without an SMTP server. Answers 404 in any other environment or when SMTP is used.
/// </summary>
internal sealed partial class MailModel(IHostEnvironment environment, IServiceProvider services) : PageModel
{
    public IReadOnlyList<MailEntry> Messages { get; private set; } = [];

    public sealed record MailEntry(DateTimeOffset Date, string To, string Subject, string Body, IReadOnlyList<string> Links);

    // Synchronous on purpose (a development page reading a few local files): an awaited Task<MimeMessage> would put
    // MimeKit in this class's state machine, and MVC's scan of the assembly's types would load MimeKit at every start.
    public IActionResult OnGet(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() || services.GetService<MailDropFolder>() is not { } folder)
        {
            return NotFound();
        }

        var entries = new List<MailEntry>();
        foreach (var file in new DirectoryInfo(folder.Path).EnumerateFiles("*.eml").OrderByDescending(f => f.Name).Take(50))
        {
            var message = MimeMessage.Load(file.FullName, cancellationToken);
            var body = message.TextBody ?? string.Empty;
            entries.Add(new MailEntry(message.Date, message.To.ToString(), message.Subject ?? string.Empty, body,
                LinkPattern().Matches(body).Select(m => m.Value).ToList()));
        }

        Messages = entries;
        return Page();
    }

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex LinkPattern();
}
