using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// An EF Core compiled query (<c>EF.CompileAsyncQuery</c>) compiled once per model. A compiled query refuses a
/// context of another model than its first one; a node has one model (one database provider), but a process that
/// hosts several nodes of different providers (the tests) has one per provider.
/// </summary>
internal sealed class PerModelQuery<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> compiled = [];

    public TQuery For(DbContext db)
    {
        var model = db.Model;
        return compiled.TryGetValue(model, out var query) ? query : compiled.GetValue(model, _ => compile());
    }
}
