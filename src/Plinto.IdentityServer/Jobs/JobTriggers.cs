using Microsoft.Extensions.Options;
using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>
/// Stores the jobs' cron triggers when the node starts, before the scheduler does — but only a trigger that is
/// missing or whose schedule changed. Quartz's declared triggers (<c>AddTrigger</c>) are stored again by every node
/// at every start, and storing a trigger resets its state: a trigger another node of the cluster had already acquired
/// for its next firing became acquirable again, so two nodes could run the same firing. A stored trigger with the
/// configured schedule is left alone; one with another schedule is replaced, so a changed configuration still takes
/// effect at the next start.
/// </summary>
internal sealed partial class JobTriggers(ISchedulerFactory schedulers, IOptions<JobsOptions> options, ILogger<JobTriggers> logger) : IHostedService
{
    private static readonly TriggerKey TokenPruning = new("token-pruning-schedule");

    private static readonly TriggerKey SamlMetadata = new("saml-metadata-schedule");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The scheduler the Quartz hosted service starts after this one: the factory keeps one per name.
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await EnsureAsync(scheduler, TokenPruning, TokenPruningJob.Key, options.Value.TokenPruningSchedule, cancellationToken);
        await EnsureAsync(scheduler, SamlMetadata, SamlMetadataJob.Key, options.Value.SamlMetadataSchedule, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EnsureAsync(IScheduler scheduler, TriggerKey key, JobKey job, string cron, CancellationToken cancellationToken)
    {
        var trigger = TriggerBuilder.Create()
            .WithIdentity(key)
            .ForJob(job)
            .WithCronSchedule(cron, schedule => schedule.WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing))
            .Build();
        var stored = await scheduler.GetTrigger(key, cancellationToken);
        if (stored is null)
        {
            try
            {
                await scheduler.ScheduleJob(trigger, default, cancellationToken);
                LogStored(logger, key.Name, cron);
                return;
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another node stored it between the read and the write (nodes starting together): compare with theirs.
                stored = await scheduler.GetTrigger(key, cancellationToken)
                    ?? throw new InvalidOperationException($"The trigger '{key}' was stored and is gone again.");
            }
        }

        if (IsSame(stored, (ICronTrigger)trigger))
        {
            return;
        }

        await scheduler.RescheduleJob(key, trigger, cancellationToken);
        LogReplaced(logger, key.Name, (stored as ICronTrigger)?.CronExpressionString, cron);
    }

    private static bool IsSame(ITrigger stored, ICronTrigger configured) =>
        stored is ICronTrigger cron
        && cron.JobKey.Equals(configured.JobKey)
        && string.Equals(cron.CronExpressionString, configured.CronExpressionString, StringComparison.Ordinal)
        && cron.TimeZone.Id == configured.TimeZone.Id
        && cron.MisfireInstruction == configured.MisfireInstruction;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the trigger {Trigger} with the schedule '{Schedule}'.")]
    private static partial void LogStored(ILogger logger, string trigger, string schedule);

    [LoggerMessage(Level = LogLevel.Information, Message = "The schedule of the trigger {Trigger} changed from '{Stored}' to '{Schedule}'; replaced it.")]
    private static partial void LogReplaced(ILogger logger, string trigger, string? stored, string schedule);
}
