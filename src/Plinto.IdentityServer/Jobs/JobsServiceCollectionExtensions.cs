using Plinto.IdentityServer.Data;
using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>Bound to <c>Plinto:Jobs</c>.</summary>
internal sealed class JobsOptions
{
    public const string Section = "Plinto:Jobs";

    /// <summary>
    /// Whether this node runs the background jobs. Off, the node starts no scheduler at all: with a clustered store it
    /// does not join the cluster, so it runs no firing of the triggers the other nodes stored (nor of triggers stored
    /// before, when every node has it off). The nodes with it on run the jobs.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Quartz cron expression for <see cref="TokenPruningJob"/>; default: every hour at minute 17.</summary>
    public string TokenPruningSchedule { get; set; } = "0 17 * * * ?";

    /// <summary>Quartz cron expression for <see cref="SamlMetadataJob"/>; default: every six hours at minute 43.</summary>
    public string SamlMetadataSchedule { get; set; } = "0 43 */6 * * ?";

    /// <summary>Keep expired or redeemed tokens and authorizations this long before pruning (audit trail, reuse detection).</summary>
    public TimeSpan TokenPruningRetention { get; set; } = TimeSpan.FromDays(1);
}

internal static class JobsServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        if (!CronExpression.TryParse(options.SamlMetadataSchedule, out _))
        {
            throw new InvalidOperationException(
                $"Plinto:Jobs:SamlMetadataSchedule '{options.SamlMetadataSchedule}' is not a valid Quartz cron expression.");
        }

        if (!CronExpression.TryParse(options.TokenPruningSchedule, out _))
        {
            throw new InvalidOperationException(
                $"Plinto:Jobs:TokenPruningSchedule '{options.TokenPruningSchedule}' is not a valid Quartz cron expression.");
        }

        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        // The jobs stay registered, to be run by hand (the tests do) whether or not this node schedules them.
        builder.Services.AddTransient<TokenPruningJob>();
        builder.Services.AddTransient<SamlMetadataJob>();
        if (!options.Enabled)
        {
            // No scheduler: not only no triggers of our own (a clustered scheduler would still run the stored ones).
            return builder;
        }

        AddScheduler(builder.Services, builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions());
        return builder;
    }

    private static void AddScheduler(IServiceCollection services, DatabaseOptions database)
    {
        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = "plinto";
                // Each node needs its own id in the cluster; the generated one is host name + timestamp.
                scheduler.GenerateInstanceId = true;
            });
            UseJobStore(quartz, database);
            quartz.AddJob<TokenPruningJob>(job => job.WithIdentity(TokenPruningJob.Key).StoreDurably());
            quartz.AddJob<SamlMetadataJob>(job => job.WithIdentity(SamlMetadataJob.Key).StoreDurably());
        });
        // The triggers are stored by JobTriggers, only when missing or changed (see there), before the scheduler starts.
        services.AddHostedService<JobTriggers>();
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
    }

    /// <summary>
    /// SQLite is the single-node embedded default: the schedule lives in memory. On PostgreSQL and SQL Server the
    /// nodes form a Quartz cluster on the shared database (tables from our migrations, see
    /// <see cref="QuartzSchema"/>), so each firing runs on exactly one node and a dead node's work is recovered.
    /// </summary>
    private static void UseJobStore(IQuartzBuilder quartz, DatabaseOptions database)
    {
        if (database.Provider == DatabaseProvider.Sqlite || string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            quartz.UseInMemoryStore();
            return;
        }

        quartz.UsePersistentStore(store =>
        {
            store.ConfigureStore(ado => ado.TablePrefix = QuartzSchema.TablePrefix);
            if (database.Provider == DatabaseProvider.PostgreSql)
            {
                store.UsePostgres(Npgsql.NpgsqlFactory.Instance, database.ConnectionString);
            }
            else
            {
                store.UseSqlServer(Microsoft.Data.SqlClient.SqlClientFactory.Instance, database.ConnectionString);
            }

            store.UseSystemTextJsonSerializer();
            // qrtz_execution_history: which node ran which firing and how it ended (operators, and the multi-node test).
            store.UseExecutionHistory();
            store.UseClustering(cluster => cluster.CheckinInterval = TimeSpan.FromSeconds(10));
        });
    }
}
