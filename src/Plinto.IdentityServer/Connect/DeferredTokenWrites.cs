using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Data;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Writes the token rows of one sign-in (authorization or token response) in a single <c>SaveChanges</c>: the
/// redemption of the code or refresh token presented and the rows of the tokens issued for it. OpenIddict saves each
/// one on its own (a refresh_token grant: three round trips and three change-tracking passes; a reference code: an
/// insert and then an update of the same row); batched, EF Core sends them together in one transaction.
/// <para>
/// The semantics stay those of OpenIddict's own writes, and get stronger: the redemption still carries the row's
/// concurrency token, so of two requests racing with the same code one fails at the flush: none of the tokens it
/// generated was stored, the client gets <c>invalid_grant</c> and what the other request obtained is revoked (RFC 6749
/// §4.1.2). Two requests racing with one refresh token both succeed, as with OpenIddict (whatever the reuse leeway:
/// OpenIddict ignores a lost redemption of a refresh token); a refresh grant whose token was revoked while it was in
/// flight is refused and leaves nothing valid (<see cref="PlintoTokenStore"/> makes every revocation conflict with it).
/// </para>
/// Only writes made while OpenIddict processes a sign-in are deferred; everything else (revocation, reuse detection,
/// pruning) writes at once. One difference from OpenIddict's own order: a sign-in rejected or failing after the
/// redemption leaves the code or refresh token unredeemed, since nothing was issued for it (tested). The flag then stays
/// on for the rest of that request, which writes no tokens after a rejected sign-in.
/// </summary>
internal sealed class DeferredTokenWrites
{
    /// <summary>True between the start of a sign-in and its flush.</summary>
    public bool Active { get; set; }

    /// <summary>
    /// Token rows added or changed since the sign-in began. None (a client_credentials grant, whose access token gets
    /// no row): the flush has nothing to save and does not even open the request's database context.
    /// </summary>
    public int Pending { get; private set; }

    /// <summary>Called by the token store for each write it defers.</summary>
    public void Deferred() => Pending++;

    /// <summary>Starts deferring at the very start of the sign-in.</summary>
    internal sealed class Begin(DeferredTokenWrites writes) : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                .UseScopedHandler<Begin>()
                .SetOrder(OpenIddictServerHandlers.ValidateSignInDemand.Descriptor.Order - 1_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ProcessSignInContext context)
        {
            writes.Active = true;
            writes.Pending = 0;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Saves everything the sign-in deferred, after its last handler and before the response is written.</summary>
    /// <remarks>
    /// The database context and the token manager are taken from the request's services only when there is something
    /// to save: a sign-in that deferred nothing costs no context lease, no token manager (and its per-request cache)
    /// and no change-detection pass. So the flush saves what <see cref="PlintoTokenStore"/> deferred, and nothing else
    /// is left for it to save: any other write during a sign-in (authorizations, sessions) saves itself at once.
    /// </remarks>
    internal sealed class Flush(DeferredTokenWrites writes, IServiceProvider services) : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                .UseScopedHandler<Flush>()
                // After the last handler that generates or stores a token, before the ones that write the response.
                .SetOrder(OpenIddictServerHandlers.Exchange.ApplyTokenResponse<ProcessSignInContext>.Descriptor.Order - 1_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessSignInContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            writes.Active = false;
            if (writes.Pending == 0)
            {
                return;
            }

            var db = services.GetRequiredService<PlintoDbContext>();
            var refreshGrant = context.EndpointType is OpenIddictServerEndpointType.Token && context.Request?.IsRefreshTokenGrantType() is true;
            if (refreshGrant && db.RunsOnPostgreSql())
            {
                if (!await SaveInOneBatchAsync(db, context.CancellationToken))
                {
                    RejectRevoked(context);
                }

                return;
            }

            try
            {
                await db.SaveChangesAsync(context.CancellationToken);
            }
            catch (DbUpdateConcurrencyException exception) when (refreshGrant)
            {
                if (await RevokedMeanwhileAsync(db, exception, context.CancellationToken))
                {
                    db.ChangeTracker.Clear();
                    RejectRevoked(context);
                    return;
                }

                // As OpenIddict does, a lost race with another redemption of the refresh token is not an error: the
                // same client using it twice at once (several tabs). The tokens of this request are still stored.
                foreach (var entry in exception.Entries)
                {
                    entry.State = EntityState.Unchanged;
                }

                await db.SaveChangesAsync(context.CancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Another request redeemed the same code first; nothing of this one was stored. RFC 6749 §4.1.2: a
                // code used more than once is refused, and what was issued for it is revoked, as OpenIddict does
                // when the second use comes later.
                db.ChangeTracker.Clear();
                if (context.Request?.IsAuthorizationCodeGrantType() is true && context.Principal?.GetAuthorizationId() is { Length: > 0 } authorization)
                {
                    // Not cancelled with the losing request: its client hanging up must not spare the winner's tokens.
                    var tokens = services.GetRequiredService<IOpenIddictTokenManager>();
                    await tokens.RevokeByAuthorizationIdAsync(authorization, CancellationToken.None);
                }

                context.Reject(
                    context.EndpointType is OpenIddictServerEndpointType.Token ? Errors.InvalidGrant : Errors.InvalidToken,
                    "The specified token has already been redeemed.");
            }
        }

        /// <summary>
        /// A refresh grant on PostgreSQL: the redemption and the new rows without a <c>BEGIN</c> … <c>COMMIT</c> of
        /// their own, one round trip fewer. EF Core sends them as one batch (every key and value is set by the client,
        /// so nothing needs a round trip of its own; a handful of statements is far below the batch size limit), and
        /// PostgreSQL runs the statements before one Sync message as one implicit transaction, committed at the Sync if
        /// none failed and rolled back if one did (PostgreSQL documentation, Frontend/Backend Protocol, "Extended
        /// Query" and "Pipelining"): all stored or nothing (tested). The one outcome that is not an error, a lost race
        /// on the redemption (zero rows updated), leaves the new rows stored, as the other providers' path above does
        /// by saving them again.
        /// </summary>
        private static async Task<bool> SaveInOneBatchAsync(PlintoDbContext db, CancellationToken cancellationToken)
        {
            var transactions = db.Database.AutoTransactionBehavior;
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateConcurrencyException exception)
            {
                // The batch ran to its end and was committed: the inserts are in the database.
                List<string> inserted = [.. db.ChangeTracker.Entries<OpenIddictEntityFrameworkCoreToken>()
                    .Where(entry => entry.State is EntityState.Added).Select(entry => entry.Entity.Id!)];
                db.ChangeTracker.AcceptAllChanges();
                if (!await RevokedMeanwhileAsync(db, exception, cancellationToken))
                {
                    return true;
                }

                // Revoked while this grant was in flight: what it just stored goes the same way, before anything is sent.
                await PlintoTokenStore.RevokeAsync(
                    db.Set<OpenIddictEntityFrameworkCoreToken>().Where(token => inserted.Contains(token.Id!)), CancellationToken.None);
                db.ChangeTracker.Clear();
                return false;
            }
            finally
            {
                db.Database.AutoTransactionBehavior = transactions;
            }
        }

        /// <summary>
        /// Why the redemption of the refresh token matched no row: another request redeemed it (a race within one client,
        /// allowed as OpenIddict allows it), or it was revoked meanwhile — one token at the revocation endpoint, or its
        /// whole chain (reuse detection, a disconnected app, sign-out everywhere): every revocation writes a new
        /// concurrency token (<see cref="PlintoTokenStore"/>). Then this grant must not issue: RFC 9700 §4.14.2 (a
        /// revoked chain stays revoked) and RFC 7009 §2.2 (a revoked token cannot be used).
        /// </summary>
        private static async Task<bool> RevokedMeanwhileAsync(DbContext db, DbUpdateConcurrencyException exception, CancellationToken cancellationToken)
        {
            foreach (var entry in exception.Entries)
            {
                if (entry.Entity is OpenIddictEntityFrameworkCoreToken { Id: { } id })
                {
                    var status = await db.Set<OpenIddictEntityFrameworkCoreToken>().AsNoTracking()
                        .Where(token => token.Id == id).Select(token => token.Status).FirstOrDefaultAsync(cancellationToken);
                    if (status is not Statuses.Redeemed)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static void RejectRevoked(ProcessSignInContext context) =>
            context.Reject(Errors.InvalidGrant, "The specified refresh token is no longer valid.");
    }
}

/// <summary>
/// OpenIddict's token store, deferring its inserts and updates while <see cref="DeferredTokenWrites.Active"/>, and
/// reading a token by id or reference id (every refresh grant, every code redemption) through compiled queries: the
/// same query as OpenIddict's (the token with its application and authorization, tracked), without building and
/// looking up its expression tree on each call. When the token endpoint asked for it (<see cref="GrantAccountPrefetch"/>,
/// refresh grants), the query by id also reads the account the token names, which the endpoint checks next.
/// </summary>
internal sealed class PlintoTokenStore(
    IMemoryCache cache,
    IOpenIddictEntityFrameworkCoreContext context,
    IOptionsMonitor<OpenIddictEntityFrameworkCoreOptions> options,
    DeferredTokenWrites writes,
    GrantAccountPrefetch prefetch) : OpenIddictEntityFrameworkCoreTokenStore(cache, context, options)
{
    private static readonly PerModelQuery<Func<DbContext, string, CancellationToken, Task<OpenIddictEntityFrameworkCoreToken?>>> ById =
        new(() => EF.CompileAsyncQuery((DbContext db, string id, CancellationToken _) => db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Include(token => token.Application).Include(token => token.Authorization).AsTracking()
            .FirstOrDefault(token => token.Id == id)));

    private static readonly PerModelQuery<Func<DbContext, string, CancellationToken, Task<OpenIddictEntityFrameworkCoreToken?>>> ByReferenceId =
        new(() => EF.CompileAsyncQuery((DbContext db, string referenceId, CancellationToken _) => db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Include(token => token.Application).Include(token => token.Authorization).AsTracking()
            .FirstOrDefault(token => token.ReferenceId == referenceId)));

    // By id, with the account the token names (a left join on its subject) and whether the browser session the grant
    // came from was revoked: what UserSessions.FindGrantAccountAsync reads, in the same round trip. Only by id: a refresh
    // token is decrypted before its row is read, so its subject and session are known; a code is a reference token,
    // read by reference id before anything of it is known, so its account is read on its own afterwards.
    private static readonly PerModelQuery<Func<PlintoDbContext, string, string?, CancellationToken, Task<TokenWithAccount?>>> ByIdWithAccount =
        new(() => EF.CompileAsyncQuery((PlintoDbContext db, string id, string? sessionId, CancellationToken _) =>
            (from token in db.Set<OpenIddictEntityFrameworkCoreToken>().AsTracking()
             where token.Id == id
             from user in db.Users.Where(u => u.Id == token.Subject).DefaultIfEmpty()
             select new TokenWithAccount(token, token.Application, token.Authorization, user,
                 sessionId != null && db.UserSessions.Any(s => s.Id == sessionId && s.RevokedAt != null)))
            .FirstOrDefault()));

    private sealed record TokenWithAccount(
        OpenIddictEntityFrameworkCoreToken Token,
        OpenIddictEntityFrameworkCoreApplication? Application,
        OpenIddictEntityFrameworkCoreAuthorization? Authorization,
        PlintoUser? User,
        bool SessionRevoked);

    public override async ValueTask<OpenIddictEntityFrameworkCoreToken?> FindByIdAsync(string identifier, CancellationToken cancellationToken)
    {
        // Taken whatever happens next: a token already tracked needs no query, and its account is then read on its own.
        var account = prefetch.TakeRequest();
        var (db, tracked) = await FindTrackedAsync(identifier, static token => token.Id, cancellationToken);
        if (tracked is not null)
        {
            return tracked;
        }

        if (account is null || db is not PlintoDbContext plinto)
        {
            return await ById.For(db)(db, identifier, cancellationToken);
        }

        var row = await ByIdWithAccount.For(plinto)(plinto, identifier, account.Value.SessionId, cancellationToken);
        if (row?.User is { } user)
        {
            // Untracked, as the separate query returns it; nothing in the token request has read the account before.
            plinto.Entry(user).State = EntityState.Detached;
        }

        if (row is not null && row.Token.Subject == account.Value.UserId)
        {
            prefetch.Complete(account.Value.UserId, account.Value.SessionId, row.User is null ? null : new GrantAccount(row.User, row.SessionRevoked));
        }

        return row?.Token;
    }

    public override async ValueTask<OpenIddictEntityFrameworkCoreToken?> FindByReferenceIdAsync(string identifier, CancellationToken cancellationToken)
    {
        var (db, tracked) = await FindTrackedAsync(identifier, static token => token.ReferenceId, cancellationToken);
        return tracked ?? await ByReferenceId.For(db)(db, identifier, cancellationToken);
    }

    /// <summary>As OpenIddict does: a token this context already tracks (created or read in this request) is that one.</summary>
    private async ValueTask<(DbContext Db, OpenIddictEntityFrameworkCoreToken? Tracked)> FindTrackedAsync(
        string identifier, Func<OpenIddictEntityFrameworkCoreToken, string?> key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        var db = await Context.GetDbContextAsync(cancellationToken);
        foreach (var entry in db.ChangeTracker.Entries<OpenIddictEntityFrameworkCoreToken>())
        {
            if (string.Equals(key(entry.Entity), identifier, StringComparison.Ordinal))
            {
                return (db, entry.Entity);
            }
        }

        return (db, null);
    }

    // OpenIddict's bulk revocations set the status only, leaving each row's concurrency token as it was: a redemption in
    // flight (read before, written after) would still match its row and turn "revoked" back into "redeemed", and its new
    // tokens would outlive the revocation. Here every revocation also writes a new concurrency token, so that redemption
    // fails and the flush refuses the grant (DeferredTokenWrites.Flush). Same rows as OpenIddict's own statements.
    public override ValueTask<long> RevokeByAuthorizationIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        return RevokeWhereAsync(token => token.Authorization!.Id == identifier && token.Status != Statuses.Revoked, cancellationToken);
    }

    public override ValueTask<long> RevokeByApplicationIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        return RevokeWhereAsync(token => token.Application!.Id == identifier && token.Status != Statuses.Revoked, cancellationToken);
    }

    public override ValueTask<long> RevokeBySubjectAsync(string subject, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        return RevokeWhereAsync(token => token.Subject == subject && token.Status != Statuses.Revoked, cancellationToken);
    }

    public override ValueTask<long> RevokeAsync(string? subject, string? client, string? status, string? type, CancellationToken cancellationToken) =>
        RevokeWhereAsync(token => (string.IsNullOrEmpty(subject) || token.Subject == subject)
                && (string.IsNullOrEmpty(client) || token.Application!.Id == client)
                && (string.IsNullOrEmpty(status) || token.Status == status)
                && (string.IsNullOrEmpty(type) || token.Type == type),
            cancellationToken);

    // Always one statement (OpenIddict's DisableBulkOperations, which Plinto never sets, would revoke row by row and
    // keep each row's concurrency token).
    private async ValueTask<long> RevokeWhereAsync(
        System.Linq.Expressions.Expression<Func<OpenIddictEntityFrameworkCoreToken, bool>> rows, CancellationToken cancellationToken)
    {
        var db = await Context.GetDbContextAsync(cancellationToken);
        return await RevokeAsync(db.Set<OpenIddictEntityFrameworkCoreToken>().Where(rows), cancellationToken);
    }

    /// <summary>
    /// Revokes <paramref name="tokens"/> in one statement, each with a new concurrency token: what every revocation of
    /// token rows must write, so that a redemption in flight conflicts with it (<see cref="DeferredTokenWrites.Flush"/>).
    /// </summary>
    public static Task<int> RevokeAsync(IQueryable<OpenIddictEntityFrameworkCoreToken> tokens, CancellationToken cancellationToken) =>
        tokens.ExecuteUpdateAsync(update => update
            .SetProperty(token => token.Status, Statuses.Revoked)
            .SetProperty(token => token.ConcurrencyToken, Guid.NewGuid().ToString()), cancellationToken);

    public override async ValueTask CreateAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        if (!writes.Active)
        {
            await base.CreateAsync(token, cancellationToken);
            return;
        }

        // The key is generated here (client side), so OpenIddict can put the row's id in the token right away.
        (await Context.GetDbContextAsync(cancellationToken)).Add(token);
        writes.Deferred();
    }

    public override async ValueTask UpdateAsync(OpenIddictEntityFrameworkCoreToken token, CancellationToken cancellationToken)
    {
        if (!writes.Active)
        {
            await base.UpdateAsync(token, cancellationToken);
            return;
        }

        var db = await Context.GetDbContextAsync(cancellationToken);
        var entry = db.Entry(token);
        if (entry.State is EntityState.Added)
        {
            // A row created in this sign-in (a reference code getting its payload): still one insert.
            return;
        }

        if (entry.State is EntityState.Detached)
        {
            // Not read through this context: attached with the values it was read with, every column written.
            db.Attach(token).State = EntityState.Modified;
        }

        // As OpenIddict does: the update carries the concurrency token the row was read with (the original value) and
        // stores a new one. A token read in this request (the code or refresh token being redeemed) is written by
        // change detection: only the columns that changed (status, redemption date, concurrency token).
        token.ConcurrencyToken = Guid.NewGuid().ToString();
        writes.Deferred();
    }
}
