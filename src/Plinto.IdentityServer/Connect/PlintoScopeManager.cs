using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Connect;

/// <summary>OpenIddict's scope manager, clearing <see cref="CatalogCache"/> after every write, on every node.</summary>
internal sealed class PlintoScopeManager(
    CatalogCache catalog,
    ClusterCacheSignals signals,
    PlintoDbContext db,
    IOpenIddictScopeCache<OpenIddictEntityFrameworkCoreScope> cache,
    ILogger<OpenIddictScopeManager<OpenIddictEntityFrameworkCoreScope>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictScopeStore<OpenIddictEntityFrameworkCoreScope> store)
    : OpenIddictScopeManager<OpenIddictEntityFrameworkCoreScope>(cache, logger, options, store)
{
    public override async ValueTask CreateAsync(OpenIddictEntityFrameworkCoreScope scope, CancellationToken cancellationToken = default)
    {
        await base.CreateAsync(scope, cancellationToken);
        await signals.ForgetEverywhereAsync(db, catalog, keys: null, cancellationToken);
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreScope scope, CancellationToken cancellationToken = default)
    {
        await base.UpdateAsync(scope, cancellationToken);
        await signals.ForgetEverywhereAsync(db, catalog, keys: null, cancellationToken);
    }

    public override async ValueTask DeleteAsync(OpenIddictEntityFrameworkCoreScope scope, CancellationToken cancellationToken = default)
    {
        await base.DeleteAsync(scope, cancellationToken);
        await signals.ForgetEverywhereAsync(db, catalog, keys: null, cancellationToken);
    }
}
