using MenoTime.Data.Notifications;
using MenoTime.Worker.Heartbeats;
using Microsoft.Extensions.Options;

namespace MenoTime.Worker.Delivery;

public static class DeliveryExtensions
{
    /// <summary>The outbox delivery loop, its backlog monitor and health check, and the email it sends.</summary>
    public static IHostApplicationBuilder AddReminderDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeliveryOptions>().Bind(builder.Configuration.GetSection(DeliveryOptions.Section))
            .PostConfigure<IOptions<WorkerHeartbeatOptions>>((delivery, heartbeat) =>
            {
                if (string.IsNullOrEmpty(delivery.InstanceId))
                {
                    delivery.InstanceId = heartbeat.Value.InstanceId;
                }
            })
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Reminders:Delivery:BatchSize must be 1 to 1000")
            .Validate(o => o.Concurrency is >= 1 and <= 64, "Reminders:Delivery:Concurrency must be 1 to 64")
            .Validate(o => o.MaxAttempts >= 1, "Reminders:Delivery:MaxAttempts must be at least 1")
            .ValidateOnStart();
        builder.Services.AddOptions<EmailOptions>().Bind(builder.Configuration.GetSection(EmailOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Smtp.Host), "Email:Smtp:Host is not set")
            .Validate(o => o.Smtp.IdleReconnect > TimeSpan.Zero, "Email:Smtp:IdleReconnect must be positive")
            .ValidateOnStart();
        builder.Services.AddOptions<DeliveryOptions>()
            .Validate<IOptions<EmailOptions>>((delivery, email) => delivery.Lease > email.Value.Smtp.Timeout + TimeSpan.FromSeconds(2),
                "Reminders:Delivery:Lease must exceed Email:Smtp:Timeout by more than 2 s");

        builder.Services.AddSingleton<NotificationDispatch>();
        builder.Services.AddSingleton<ReminderEmail>();
        builder.Services.AddSingleton<DeliveryState>();
        builder.Services.AddHostedService<DeliveryService>();
        builder.Services.AddHostedService<BacklogMonitor>();
        builder.Services.AddHealthChecks().AddCheck<DeliveryHealthCheck>("delivery");
        return builder;
    }
}
