using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>Bound to <c>Plinto:Jobs</c>.</summary>
internal sealed class JobsOptions
{
    public const string Section = "Plinto:Jobs";

    public bool Enabled { get; set; } = true;

    /// <summary>Quartz cron expression for <see cref="TokenPruningJob"/>; default: every hour at minute 17.</summary>
    public string TokenPruningSchedule { get; set; } = "0 17 * * * ?";

    /// <summary>Keep expired or redeemed tokens and authorizations this long before pruning (audit trail, reuse detection).</summary>
    public TimeSpan TokenPruningRetention { get; set; } = TimeSpan.FromDays(1);
}

internal static class JobsServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        if (!CronExpression.IsValidExpression(options.TokenPruningSchedule))
        {
            throw new InvalidOperationException(
                $"Plinto:Jobs:TokenPruningSchedule '{options.TokenPruningSchedule}' is not a valid Quartz cron expression.");
        }

        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        builder.Services.AddTransient<TokenPruningJob>();
        builder.Services.AddQuartz(quartz =>
        {
            quartz.SchedulerName = "plinto";
            quartz.AddJob<TokenPruningJob>(job => job.WithIdentity(TokenPruningJob.Key).StoreDurably());
            if (options.Enabled)
            {
                quartz.AddTrigger(trigger => trigger
                    .ForJob(TokenPruningJob.Key)
                    .WithIdentity("token-pruning-schedule")
                    .WithCronSchedule(options.TokenPruningSchedule, cron => cron.WithMisfireHandlingInstructionDoNothing()));
            }
        });
        builder.Services.AddHostedService<QuartzLoggingBinding>();
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }
}

/// <summary>
/// Quartz logs through a process-wide static provider that it binds lazily; when a process hosts Plinto more
/// than once (tests, or a restart inside one process) it would keep the first, disposed, logger factory.
/// Hosted services are constructed in registration order before any starts, so this one, registered just
/// before Quartz's, binds the current host's logger factory before Quartz's scheduler factory is built.
/// </summary>
internal sealed class QuartzLoggingBinding : IHostedService
{
    public QuartzLoggingBinding(ILoggerFactory loggerFactory) => Quartz.Logging.LogContext.SetCurrentLogProvider(loggerFactory);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
