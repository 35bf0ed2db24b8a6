using System.Text.RegularExpressions;
using MimeKit;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Reads the messages Plinto wrote to its pickup folder (sending is queued, so it waits briefly).</summary>
internal static partial class MailDrop
{
    public static async Task<MimeMessage> WaitForAsync(string folder, string to, string subjectContains, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            var found = Find(folder, to).FirstOrDefault(m => (m.Subject ?? string.Empty).Contains(subjectContains, StringComparison.Ordinal));
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new AssertionException($"No message '{subjectContains}' to {to} arrived in {folder}.");
    }

    public static IReadOnlyList<MimeMessage> Find(string folder, string to) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.eml").Select(f => MimeMessage.Load(f))
                .Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, to, StringComparison.OrdinalIgnoreCase)))
                .ToList()
            : [];

    public static string FirstLink(MimeMessage message, string pathContains) =>
        LinkPattern().Matches(message.TextBody ?? string.Empty).Select(m => m.Value).FirstOrDefault(l => l.Contains(pathContains, StringComparison.Ordinal))
            ?? throw new AssertionException($"No link to {pathContains} in: {message.TextBody}");

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex LinkPattern();
}
