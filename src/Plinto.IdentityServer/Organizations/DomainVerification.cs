using System.Globalization;
using System.Net;
using DnsClient;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Organizations;

/// <summary>Reads DNS TXT records (replaceable, so tests can answer for domains they do not own).</summary>
internal interface IDnsTxtResolver
{
    /// <summary>The TXT strings at <paramref name="name"/>; empty when the name has none or does not exist.</summary>
    Task<IReadOnlyList<string>> ResolveTxtAsync(string name, CancellationToken cancellationToken);
}

/// <summary>
/// DNS through DnsClient.NET: the system's resolvers (/etc/resolv.conf), or the ones in
/// <c>Plinto:Organizations:DnsServers</c> (for split-horizon DNS, or a resolver that sees public records).
/// </summary>
internal sealed class SystemDnsTxtResolver : IDnsTxtResolver
{
    private readonly LookupClient client;

    public SystemDnsTxtResolver(IOptions<OrganizationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var servers = options.Value.DnsServers.Select(IPEndPoint.Parse).Select(e => new NameServer(e)).ToArray();
        var settings = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        settings.UseCache = false; // a record just added must be seen at the next "verify" click
        settings.Timeout = TimeSpan.FromSeconds(5);
        settings.Retries = 1;
        settings.ThrowDnsErrors = false;
        client = new LookupClient(settings);
    }

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

    /// <summary>
    /// True when two addresses are the same mailbox for the purpose of linking: the same domain in IDNA ASCII form
    /// (so a look-alike such as <c>gmaıl.com</c>, whose upper case collides with <c>GMAIL.COM</c>, never matches),
    /// and the same local part ignoring ASCII case only.
    /// </summary>
    public static bool SameAddress(string? left, string? right)
    {
        if (left is null || right is null || OfEmail(left) is not { } leftDomain || OfEmail(right) is not { } rightDomain || leftDomain != rightDomain)
        {
            return false;
        }

        var (a, b) = (left[..left.LastIndexOf('@')], right[..right.LastIndexOf('@')]);
        return a.Length == b.Length && a.Zip(b).All(p => p.First == p.Second || (char.IsAscii(p.First) && char.IsAscii(p.Second) && char.ToLowerInvariant(p.First) == char.ToLowerInvariant(p.Second)));
    }

    /// <summary>The domain part of an e-mail address, normalized; null when there is none.</summary>
    public static string? OfEmail(string? email) =>
        email is not null && email.LastIndexOf('@') is var at and > 0 ? Normalize(email[(at + 1)..]) : null;
}
