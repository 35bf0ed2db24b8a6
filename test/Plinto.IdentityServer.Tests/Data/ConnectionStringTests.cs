using Npgsql;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>
/// PostgreSQL statements are prepared automatically and connections skip the reset on return to the pool, unless the
/// operator's connection string decides.
/// </summary>
internal sealed class ConnectionStringTests
{
    [Test]
    public void Auto_prepare_and_no_reset_on_close_are_defaults_and_an_explicit_setting_wins()
    {
        var defaulted = new NpgsqlConnectionStringBuilder(PlintoDbContextOptions.WithNpgsqlDefaults("Host=db;Username=plinto;Password=s3cret;Database=plinto"));
        Assert.That((defaulted.MaxAutoPrepare, defaulted.AutoPrepareMinUsages, defaulted.NoResetOnClose), Is.EqualTo((64, 2, true)));
        Assert.That((defaulted.Host, defaulted.Password, defaulted.Database), Is.EqualTo(("db", "s3cret", "plinto")), "nothing else changes");

        var off = new NpgsqlConnectionStringBuilder(PlintoDbContextOptions.WithNpgsqlDefaults("Host=db;Username=plinto;Max Auto Prepare=0;No Reset On Close=false"));
        Assert.That((off.MaxAutoPrepare, off.NoResetOnClose), Is.EqualTo((0, false)), "PgBouncer users turn them off");
        var tuned = new NpgsqlConnectionStringBuilder(PlintoDbContextOptions.WithNpgsqlDefaults("Host=db;MaxAutoPrepare=10;NoResetOnClose=false"));
        Assert.That((tuned.MaxAutoPrepare, tuned.AutoPrepareMinUsages, tuned.NoResetOnClose), Is.EqualTo((10, 5, false)), "Npgsql's own default for what the operator left out");
    }
}
