using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// OpenIddict's authorization store, reading the authorizations of one account and client with a given status and
/// type — what the authorization endpoint asks on every request (the remembered consent, <c>AuthorizeModel</c>) —
/// through a compiled query: the same query as OpenIddict's (each authorization with its application, tracked),
/// without building its expression tree and looking it up in EF Core's query cache on each call (docs/performance.md,
/// lever 29). Every other combination of criteria is OpenIddict's own query.
/// </summary>
internal sealed class PlintoAuthorizationStore(
    IMemoryCache cache,
    IOpenIddictEntityFrameworkCoreContext context,
    IOptionsMonitor<OpenIddictEntityFrameworkCoreOptions> options) : OpenIddictEntityFrameworkCoreAuthorizationStore(cache, context, options)
{
    private static readonly PerModelQuery<Func<DbContext, string, string, string, string, IAsyncEnumerable<OpenIddictEntityFrameworkCoreAuthorization>>> BySubjectClientStatusType =
        new(() => EF.CompileAsyncQuery((DbContext db, string subject, string client, string status, string type) =>
            db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Include(authorization => authorization.Application).AsTracking()
                .Where(authorization => authorization.Subject == subject && authorization.Status == status && authorization.Type == type
                    && authorization.Application!.Id == client)));

    public override IAsyncEnumerable<OpenIddictEntityFrameworkCoreAuthorization> FindAsync(
        string? subject, string? client, string? status, string? type, ImmutableArray<string>? scopes, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(client) || string.IsNullOrEmpty(status) || string.IsNullOrEmpty(type))
        {
            return base.FindAsync(subject, client, status, type, scopes, cancellationToken);
        }

        return FindCompiledAsync(subject, client, status, type, scopes, cancellationToken);
    }

    private async IAsyncEnumerable<OpenIddictEntityFrameworkCoreAuthorization> FindCompiledAsync(
        string subject, string client, string status, string type, ImmutableArray<string>? scopes,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var db = await Context.GetDbContextAsync(cancellationToken);
        await foreach (var authorization in BySubjectClientStatusType.For(db)(db, subject, client, status, type).WithCancellation(cancellationToken))
        {
            // As OpenIddict: an authorization counts when it grants every requested scope (a superset), compared ordinally.
            if (scopes is not { IsDefault: false } requested
                || new HashSet<string>(await GetScopesAsync(authorization, cancellationToken), StringComparer.Ordinal).IsSupersetOf(requested))
            {
                yield return authorization;
            }
        }
    }
}
