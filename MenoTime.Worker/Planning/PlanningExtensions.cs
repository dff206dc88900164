using MenoTime.Data.Notifications;
using MenoTime.Worker.Heartbeats;
using Microsoft.Extensions.Options;

namespace MenoTime.Worker.Planning;

public static class PlanningExtensions
{
    /// <summary>The reminder planner: appointments and dose schedules into the outbox, one replica at a time.</summary>
    public static IHostApplicationBuilder AddReminderPlanning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PlanningOptions>().Bind(builder.Configuration.GetSection(PlanningOptions.Section))
            .PostConfigure<IOptions<WorkerHeartbeatOptions>>((planning, heartbeat) =>
            {
                if (string.IsNullOrEmpty(planning.InstanceId))
                {
                    planning.InstanceId = heartbeat.Value.InstanceId;
                }
            })
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Reminders:Planning:PollInterval must be positive")
            .Validate(o => o.Horizon >= TimeSpan.FromHours(1), "Reminders:Planning:Horizon must be at least an hour")
            .Validate(o => o.Grace >= TimeSpan.Zero && o.ChangeOverlap >= TimeSpan.Zero, "Reminders:Planning:Grace and ChangeOverlap cannot be negative")
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "Reminders:Planning:BatchSize must be 1 to 10000")
            .ValidateOnStart();
        builder.Services.AddSingleton<NotificationOutbox>();
        builder.Services.AddSingleton<ReminderPlanner>();
        builder.Services.AddHostedService<PlanningService>();
        return builder;
    }
}
