using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Client secrets stored as salted SHA-256 instead of OpenIddict's PBKDF2. A slow KDF protects low-entropy
/// human passwords; client secrets here are at least 32 characters (enforced at start, see
/// <see cref="ValidateClientCatalogOptions"/>) and meant to be random, so guessing is infeasible however fast
/// the hash, and the token endpoint stops spending milliseconds of CPU per request. Comparison is constant-time.
/// Hashes in OpenIddict's format are still accepted; the catalog's reconciliation rewrites them at the next
/// start, and any secret set later is stored in the new format.
/// Lookups by client id are served from <see cref="CatalogCache"/>; every write through this manager clears it, on
/// every node.
/// </summary>
internal sealed class PlintoApplicationManager(
    CatalogCache catalog,
    ClusterCacheSignals signals,
    PlintoDbContext db,
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    public const string Prefix = "plinto-sha256:";

    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication> found = new(StringComparer.Ordinal);

    // The last secret check of this request: the client_credentials fast path checks a secret, then hands a request it
    // does not answer on to OpenIddict, which checks it again. Remembered, a wrong secret is hashed and logged (ID6161)
    // once, as without the fast path.
    private (OpenIddictEntityFrameworkCoreApplication Application, string Secret, bool Valid)? lastSecretCheck;

    public override async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        // One instance per request (this manager is scoped), as EF Core's identity resolution would give.
        if (found.TryGetValue(identifier, out var known))
        {
            return known;
        }

        var application = catalog.GetApplication(identifier);
        if (application is null)
        {
            var generation = catalog.Generation;
            application = await base.FindByClientIdAsync(identifier, cancellationToken);
            if (application is not null)
            {
                catalog.SetApplication(identifier, application, generation);
            }
        }

        if (application is not null)
        {
            found[identifier] = application;
        }

        return application;
    }

    public override async ValueTask<bool> ValidateClientSecretAsync(
        OpenIddictEntityFrameworkCoreApplication application, string secret, CancellationToken cancellationToken = default)
    {
        if (lastSecretCheck is { } last && ReferenceEquals(last.Application, application) && string.Equals(last.Secret, secret, StringComparison.Ordinal))
        {
            return last.Valid;
        }

        var valid = await base.ValidateClientSecretAsync(application, secret, cancellationToken);
        lastSecretCheck = (application, secret, valid);
        return valid;
    }

    public override async ValueTask CreateAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.CreateAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.UpdateAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    public override async ValueTask DeleteAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken = default)
    {
        await base.DeleteAsync(application, cancellationToken);
        await ChangedAsync(cancellationToken);
    }

    /// <summary>After a write: readers, on this node and the others, must go to the database again.</summary>
    private async Task ChangedAsync(CancellationToken cancellationToken)
    {
        found.Clear();
        lastSecretCheck = null;
        await signals.ForgetEverywhereAsync(db, catalog, keys: null, cancellationToken);
    }

    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var salt = RandomNumberGenerator.GetBytes(16);
        return ValueTask.FromResult(Prefix + Convert.ToBase64String(salt) + ":" + Convert.ToBase64String(Hash(salt, secret)));
    }

    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(comparand);
        if (!comparand.StartsWith(Prefix, StringComparison.Ordinal))
        {
            // A hash written by OpenIddict's own format (before this manager): its PBKDF2 check.
            return await base.ValidateClientSecretAsync(secret, comparand, cancellationToken);
        }

        var parts = comparand[Prefix.Length..].Split(':');
        if (parts.Length != 2)
        {
            return false;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[0]);
            var expected = Convert.FromBase64String(parts[1]);
            return CryptographicOperations.FixedTimeEquals(Hash(salt, secret), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Hash(byte[] salt, string secret)
    {
        var bytes = new byte[salt.Length + Encoding.UTF8.GetByteCount(secret)];
        salt.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(secret, 0, secret.Length, bytes, salt.Length);
        return SHA256.HashData(bytes);
    }
}
