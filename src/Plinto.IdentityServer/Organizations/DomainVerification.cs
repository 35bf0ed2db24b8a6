using System.Globalization;
using DnsClient;

namespace Plinto.IdentityServer.Organizations;

/// <summary>Reads DNS TXT records (replaceable, so tests can answer for domains they do not own).</summary>
internal interface IDnsTxtResolver
{
    /// <summary>The TXT strings at <paramref name="name"/>; empty when the name has none or does not exist.</summary>
    Task<IReadOnlyList<string>> ResolveTxtAsync(string name, CancellationToken cancellationToken);
}

/// <summary>The system's resolvers (the ones in /etc/resolv.conf), through DnsClient.NET.</summary>
internal sealed class SystemDnsTxtResolver : IDnsTxtResolver
{
    private readonly LookupClient client = new(new LookupClientOptions
    {
        UseCache = false, // a record just added must be seen at the next "verify" click
        Timeout = TimeSpan.FromSeconds(5),
        Retries = 1,
        ThrowDnsErrors = false,
    });

    public async Task<IReadOnlyList<string>> ResolveTxtAsync(string name, CancellationToken cancellationToken)
    {
        var response = await client.QueryAsync(name, QueryType.TXT, cancellationToken: cancellationToken);
        return response.HasError
            ? []
            : response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
    }
}

/// <summary>Domain names and the TXT record that proves control of one.</summary>
internal static class DomainVerification
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    public static string RecordName(string domain) => "_plinto-verification." + domain;

    public static string RecordValue(string token) => "plinto-verification=" + token;

    /// <summary>Lower-case ASCII (IDNA) form of a host name with at least two labels, or null when it is not one.</summary>
    public static string? Normalize(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return null;
        }

        try
        {
            var ascii = Idn.GetAscii(domain.Trim().TrimEnd('.')).ToLowerInvariant();
            return ascii.Length <= 253 && ascii.Contains('.', StringComparison.Ordinal) ? ascii : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The domain part of an e-mail address, normalized; null when there is none.</summary>
    public static string? OfEmail(string? email) =>
        email is not null && email.LastIndexOf('@') is var at and > 0 ? Normalize(email[(at + 1)..]) : null;
}
