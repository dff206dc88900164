using System.Diagnostics.Metrics;
using MenoTime.ServiceDefaults;

namespace MenoTime.Worker.Delivery;

/// <summary>The worker's instruments on the "MenoTime" meter. Tags carry the kind of reminder only, never PHI.</summary>
internal static class DeliveryMetrics
{
    public const string KindTag = "menotime.notification.kind";

    public static readonly Counter<long> Sent = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.sent", "{notification}", "Reminders the SMTP server accepted");

    public static readonly Counter<long> Retried = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.retried", "{notification}", "Failed attempts scheduled for another try");

    public static readonly Counter<long> Dead = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.dead", "{notification}", "Reminders dead-lettered (attempts used up, or refused for good)");

    public static readonly Counter<long> Suppressed = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.suppressed", "{notification}", "Reminders not sent because of an opt-out, bounce or complaint");

    public static readonly Counter<long> LeasesRecovered = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.leases_recovered", "{notification}", "Rows taken back from a worker whose lease expired mid-send");

    public static readonly Counter<long> PossibleDuplicates = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.possible_duplicates", "{notification}", "Sends recorded after another worker had already claimed the row again");

    public static readonly Histogram<double> SendDuration = MenoTimeTelemetry.Meter.CreateHistogram<double>(
        "menotime.notifications.send.duration", "s", "Duration of one SMTP exchange");

    public static readonly Histogram<double> Lag = MenoTimeTelemetry.Meter.CreateHistogram<double>(
        "menotime.notifications.lag", "s", "How late a reminder was accepted by the SMTP server, after its due time");
}
