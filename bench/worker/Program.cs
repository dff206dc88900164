// bench/worker: planning throughput of the reminder planner at bench/api's scale (PlanningBench.cs; BENCH_PLANNING=0
// skips it), then delivery throughput of the reminder worker against a raw SMTP client loop (the ceiling).
// Usage: bench/worker/run.sh [count=100000] [replica counts=1,2,4]
using System.Diagnostics;
using System.Globalization;
using System.Net.Mail;
using System.Runtime.InteropServices;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Postgres;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.Bench.Worker;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Npgsql;

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var replicaCounts = (args.Length > 1 ? args[1] : "1,2,4").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
// SMTP lanes per worker: the worker's default (Reminders:Delivery:Concurrency); BENCH_CONCURRENCY overrides it.
var lanes = int.Parse(Environment.GetEnvironmentVariable("BENCH_CONCURRENCY") ?? "4", CultureInfo.InvariantCulture);

// Ctrl-C or SIGTERM: stop measuring and let `await using` stop the graph, so nothing is left running.
using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
var stopping = stop.Token;

await using var sink = new SmtpSink();
Console.WriteLine($"sink: in-process SMTP sink on 127.0.0.1:{sink.Port} (see SmtpSink.cs for why not MailDev)");
if (Environment.GetEnvironmentVariable("BENCH_PLANNING") != "0")
{
    await PlanningBench.RunAsync(sink, CpuSeconds, ProcessTreeCpuSeconds, stopping);
}

Console.WriteLine("delivery:");
Console.WriteLine($"{count} reminders per run, {lanes} SMTP lanes per worker\n");
Console.WriteLine($"{"replicas",8} {"ceiling/s",10} {"worker/s",10} {"ratio",7} {"duplicates",10} {"missing",8}  peak RSS per worker (MB)");

// A first, untimed run: the bench process's JIT and thread pool warm up on it, not on the first measured ceiling.
await CeilingAsync(sink, Math.Min(count, 10_000), lanes, stopping, quiet: true);

try
{
    foreach (var replicas in replicaCounts)
    {
        // The machine is shared: measure the ceiling right before and right after the workers, and take the mean.
        var before = await CeilingAsync(sink, count, lanes * replicas, stopping);
        var (rate, duplicates, missing, peaks, cpu, allCpu) = await WorkersAsync(sink, count, replicas, lanes, stopping);
        var after = await CeilingAsync(sink, count, lanes * replicas, stopping);
        var (ceiling, ceilingCpu) = ((before.Rate + after.Rate) / 2, (before.CpuMs + after.CpuMs) / 2);
        Console.WriteLine($"{replicas,8} {ceiling,10:F0} {rate,10:F0} {rate / ceiling,7:P0} {duplicates,10} {missing,8}  {string.Join(", ", peaks.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))}  (worker CPU {cpu:F2} ms per reminder)");
        // Both runs are CPU-bound on this machine, so rates go roughly as the inverse of all CPU spent per message.
        Console.WriteLine($"{"",8} CPU per message, all processes: {allCpu:F2} ms through the workers, {ceilingCpu:F2} ms through the raw loop; on saturated cores that allows about {ceilingCpu / allCpu:P0} of the ceiling");
    }
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.WriteLine("stopped");
    return;
}

Console.WriteLine("\nceiling: System.Net.Mail clients on as many lanes as the workers have in all, sending the same messages to the");
Console.WriteLine("same sink; the mean of one run right before and one right after the workers' run.");

// The raw SMTP client loop: what the sink and System.Net.Mail allow with no database and no worker around them.
static async Task<(double Rate, double CpuMs)> CeilingAsync(SmtpSink sink, int count, int lanes, CancellationToken stopping, bool quiet = false)
{
    sink.Reset();
    var next = -1;
    var cpu = CpuSeconds(Environment.ProcessId);
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, lanes).Select(async _ =>
    {
        using var client = new SmtpClient("127.0.0.1", sink.Port);
        while (Interlocked.Increment(ref next) < count)
        {
            using var message = Message(Guid.NewGuid());
            await client.SendMailAsync(message, stopping);
        }
    }));
    var rate = count / clock.Elapsed.TotalSeconds;
    var cpuMs = (CpuSeconds(Environment.ProcessId) - cpu) * 1000 / count;
    if (!quiet)
    {
        Console.WriteLine($"  ceiling, {lanes} lanes: {rate:F0}/s, client and sink CPU {cpuMs:F2} ms per message, {sink.Connections} connections");
    }

    return (rate, cpuMs);
}

// The same content and headers as MenoTime.Worker's ReminderEmail, with a made-up link.
static MailMessage Message(Guid id)
{
    var message = new MailMessage("MenoTime <no-reply@menotime.local>", $"patient-{id:N}@example.test")
    {
        Subject = "You have an upcoming appointment",
        SubjectEncoding = System.Text.Encoding.UTF8,
        BodyEncoding = System.Text.Encoding.UTF8,
        Body = "Hello,\n\nYou have an upcoming appointment on Sunday 29 March 2026 at 03:30 (Europe/Berlin time).\n\n" +
               "Sign in to MenoTime for the details: http://127.0.0.1:8000/\n\nYou receive this email because email reminders are on for your account.\n" +
               "To stop them, open: http://127.0.0.1:8000/api/v1/email/unsubscribe?token=AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    };
    message.Headers.Add("Message-ID", $"<{id:N}@reminders.menotime>");
    message.Headers.Add("X-MenoTime-Notification-Id", id.ToString());
    message.Headers.Add("Auto-Submitted", "auto-generated");
    message.Headers.Add("List-Unsubscribe", "<http://127.0.0.1:8000/api/v1/email/unsubscribe?token=AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA>");
    message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    return message;
}

// The whole graph (PostgreSQL, migrations, API, N worker replicas) with the workers pointed at the sink.
static async Task<(double Rate, long Duplicates, long Missing, List<double> PeakMegabytes, double CpuMs, double AllCpuMs)> WorkersAsync(SmtpSink sink, int count, int replicas, int lanes, CancellationToken stopping)
{
    await using var app = await DistributedApplicationTestingBuilder.CreateAsync(configure: o => o.StartupTimeout = TimeSpan.FromMinutes(3));
    var worker = (ExecutableResource)app.GetResource("worker");
    var postgres = (PostgresServerResource)app.GetResource("postgres");
    var statements = Environment.GetEnvironmentVariable("BENCH_STATEMENTS") is not null;
    if (statements)
    {
        postgres.Settings["shared_preload_libraries"] = "pg_stat_statements";
        postgres.Settings["pg_stat_statements.track"] = "all"; // statements run by triggers too
    }

    worker.Replicas = replicas;
    worker.EnvironmentCallbacks.Add(context =>
    {
        context.Variables["Email__Smtp__Host"] = "127.0.0.1";
        context.Variables["Email__Smtp__Port"] = sink.Port.ToString(CultureInfo.InvariantCulture);
        context.Variables["Reminders__Delivery__Concurrency"] = lanes.ToString(CultureInfo.InvariantCulture);
        context.Variables["Reminders__Delivery__PollInterval"] = "00:00:00.100";
        if (Environment.GetEnvironmentVariable("BENCH_BATCH") is { } batch)
        {
            context.Variables["Reminders__Delivery__BatchSize"] = batch;
        }
        context.Variables["Logging__LogLevel__Default"] = "Warning";
    });
    await app.StartAsync(stopping);

    await using var dataSource = NpgsqlDataSource.Create(app.GetConnectionString("menotime"));
    var clock = new TestClock(app.Options.ClockOffsetFile);
    var outbox = new NotificationOutbox(dataSource, clock);

    // A first, untimed delivery: a worker runs for days, so measure it warm. On this machine the tiered JIT keeps
    // recompiling hot methods for about a minute of load (bench/api saw its CPU per request fall by a third).
    var warmUp = Math.Max(1, count / 5);
    await EnqueueDueAsync(outbox, clock, warmUp, stopping);
    sink.Reset();
    app.AdvanceClock(TimeSpan.FromDays(2));
    await WaitForAsync(sink, warmUp, stopping);
    await EnqueueDueAsync(outbox, clock, count, stopping);

    // BENCH_STATEMENTS=1: where PostgreSQL's time goes during delivery, as the superuser sees it.
    await using var superuser = NpgsqlDataSource.Create(postgres.GetConnectionString(app, "menotime"));
    if (statements)
    {
        await using var reset = superuser.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()");
        await reset.ExecuteNonQueryAsync(stopping);
    }

    sink.Reset();
    var pids = app.GetInstances(worker).Select(i => i.ProcessId!.Value).ToList();
    var cpuBefore = pids.Sum(CpuSeconds);
    var postmaster = app.GetInstances(app.GetResource("postgres"))[0].ProcessId!.Value;
    var postgresBefore = ProcessTreeCpuSeconds(postmaster);
    var sinkBefore = CpuSeconds(Environment.ProcessId);
    var elapsed = Stopwatch.StartNew();
    app.AdvanceClock(TimeSpan.FromDays(2));
    await WaitForAsync(sink, count, stopping);
    var rate = count / elapsed.Elapsed.TotalSeconds;
    var cpuMs = (pids.Sum(CpuSeconds) - cpuBefore) * 1000 / count;
    var postgresMs = (ProcessTreeCpuSeconds(postmaster) - postgresBefore) * 1000 / count;
    var sinkMs = (CpuSeconds(Environment.ProcessId) - sinkBefore) * 1000 / count;
    Console.WriteLine($"  workers, {replicas} replica(s): {rate:F0}/s, CPU per reminder: workers {cpuMs:F2} ms, PostgreSQL {postgresMs:F2} ms, sink {sinkMs:F2} ms, {sink.Connections} connections");
    await using (var command = dataSource.CreateCommand("SELECT count(*) FROM notifications WHERE status <> 'sent'"))
    {
        var unsent = (long)(await command.ExecuteScalarAsync(stopping))!;
        if (unsent > 0)
        {
            Console.WriteLine($"  note: {unsent} rows not marked sent when the last message arrived (marking trails by one round trip)");
        }
    }

    if (statements)
    {
        await using var busiest = superuser.CreateCommand("""
            SELECT calls, rows, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 100)
            FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8
            """);
        await using var reader = await busiest.ExecuteReaderAsync(stopping);
        Console.WriteLine($"    {"calls",8} {"rows",8} {"ms",8} {"µs/row",7}  statement (nested ones count in their caller's time too)");
        while (await reader.ReadAsync(stopping))
        {
            var (calls, rows, ms) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2));
            Console.WriteLine($"    {calls,8} {rows,8} {ms,8:F0} {ms * 1000 / Math.Max(1, rows),7:F0}  {reader.GetString(3)}");
        }
    }

    if (Environment.GetEnvironmentVariable("BENCH_DEBUG") is not null)
    {
        Console.WriteLine($"    worker log lines: {app.GetLog("worker").Snapshot().Count}, api: {app.GetLog("api").Snapshot().Count}, postgres: {app.GetLog("postgres").Snapshot().Count}");
        foreach (var line in app.GetLog("worker").Snapshot().TakeLast(5))
        {
            Console.WriteLine($"    {line.Text}");
        }
    }

    var peaks = app.GetInstances(worker).Select(i => PeakResidentMegabytes(i.ProcessId!.Value)).ToList();
    var duplicates = sink.Messages - sink.PerKey.Count;
    var missing = count - sink.PerKey.Count;
    return (rate, duplicates, missing, peaks, cpuMs, cpuMs + postgresMs + sinkMs);
}

// Everything due tomorrow, then the caller jumps the clock two days: all of it becomes due at the same instant.
static async Task EnqueueDueAsync(NotificationOutbox outbox, TestClock clock, int count, CancellationToken stopping)
{
    var due = clock.GetUtcNow().AddDays(1);
    foreach (var chunk in Enumerable.Range(0, count).Chunk(10_000))
    {
        await outbox.EnqueueAsync([.. chunk.Select(i => new NotificationRequest(
            "appointment-24h", $"appointment:{Guid.NewGuid()}", due.AddDays(1), NotificationKind.Appointment, Guid.NewGuid(),
            $"patient-{i}@example.test", "Europe/Berlin", due.AddMilliseconds(i % 1000)))], stopping);
    }
}

static async Task WaitForAsync(SmtpSink sink, int count, CancellationToken stopping)
{
    var waited = Stopwatch.StartNew();
    while (sink.Messages < count)
    {
        await Task.Delay(20, stopping);
        if (waited.Elapsed > TimeSpan.FromMinutes(30))
        {
            throw new TimeoutException($"only {sink.Messages} of {count} arrived in 30 minutes");
        }
    }
}

// utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s).
static double CpuSeconds(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

// A process and its children (PostgreSQL's backends), CPU seconds; children that exited are counted by the kernel
// in the parent's cutime/cstime only after they are reaped, so sample while the backends live.
static double ProcessTreeCpuSeconds(int root)
{
    var total = 0.0;
    foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
    {
        try
        {
            var pid = int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture);
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (pid == root || int.Parse(fields[1], CultureInfo.InvariantCulture) == root)
            {
                total += CpuSeconds(pid);
            }
        }
        catch (IOException)
        {
            // The process ended meanwhile.
        }
    }

    return total;
}

// VmHWM: the process's peak resident set size.
static double PeakResidentMegabytes(int pid)
{
    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
}
