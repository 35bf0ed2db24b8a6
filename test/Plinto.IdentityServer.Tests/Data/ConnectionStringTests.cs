using Npgsql;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>PostgreSQL statements are prepared automatically unless the operator's connection string decides.</summary>
internal sealed class ConnectionStringTests
{
    [Test]
    public void Auto_prepare_is_turned_on_by_default_and_an_explicit_setting_wins()
    {
        var defaulted = new NpgsqlConnectionStringBuilder(PlintoDbContextOptions.WithAutoPrepare("Host=db;Username=plinto;Password=s3cret;Database=plinto"));
        Assert.That((defaulted.MaxAutoPrepare, defaulted.AutoPrepareMinUsages), Is.EqualTo((64, 2)));
        Assert.That((defaulted.Host, defaulted.Password, defaulted.Database), Is.EqualTo(("db", "s3cret", "plinto")), "nothing else changes");

        const string off = "Host=db;Username=plinto;Max Auto Prepare=0";
        Assert.That(PlintoDbContextOptions.WithAutoPrepare(off), Is.EqualTo(off), "PgBouncer users turn it off");
        const string tuned = "Host=db;MaxAutoPrepare=10";
        Assert.That(PlintoDbContextOptions.WithAutoPrepare(tuned), Is.EqualTo(tuned));
    }
}
