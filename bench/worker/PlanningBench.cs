using System.Diagnostics;
using System.Globalization;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Postgres;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.ServiceDefaults;
using Npgsql;

namespace MenoTime.Bench.Worker;

/// <summary>
/// The planner at bench/api's scale: 10,000 patients (all consenting, a quarter with quiet hours, four zones), 200
/// providers, 200,000 appointments over 500 days around today and 10,000 dose schedules (twice a day), written in one
/// transaction while the worker runs. Measures the first plan of it all, a burst of changes (lead times of 1,000
/// patients, 200 cancellations) and one roll of the horizon, with the worker's and PostgreSQL's CPU, and an idle minute.
/// </summary>
public static class PlanningBench
{
    private const string Seed = """
        INSERT INTO providers (id, subject, display_name, email, time_zone, slot_minutes, created_at, updated_at)
        SELECT gen_random_uuid(), 'bench-provider-' || g, 'Dr Bench ' || g, 'provider' || g || '@bench.test', 'UTC', 30, $1, $1
        FROM generate_series(1, 200) AS g;

        INSERT INTO patients (id, subject, given_name, family_name, date_of_birth, email, time_zone, email_reminders_consent,
                              quiet_hours_start, quiet_hours_end, created_at, updated_at)
        SELECT gen_random_uuid(), 'bench-patient-' || g, 'Given' || g, 'Family' || g, date '1965-01-01' + (g % 4000), 'patient' || g || '@bench.test',
               (ARRAY['Europe/London', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'])[1 + g % 4], true,
               CASE WHEN g % 4 = 0 THEN time '22:00' END, CASE WHEN g % 4 = 0 THEN time '07:00' END, $1, $1
        FROM generate_series(1, 10000) AS g;

        CREATE TEMP TABLE bench_patients AS SELECT row_number() OVER (ORDER BY subject) AS n, id FROM patients WHERE subject LIKE 'bench-patient-%';
        CREATE TEMP TABLE bench_providers AS SELECT row_number() OVER (ORDER BY subject) AS n, id FROM providers WHERE subject LIKE 'bench-provider-%';
        INSERT INTO appointments (id, patient_id, provider_id, starts_at, ends_at, time_zone, status, booked_by, created_at, updated_at)
        SELECT gen_random_uuid(), pa.id, pr.id, s, s + interval '30 minutes', 'UTC', 'booked', 'bench', $1, $1
        FROM bench_providers pr
        CROSS JOIN generate_series(0, 999) AS k
        CROSS JOIN LATERAL (SELECT date_trunc('day', $1) + ((k / 2) - 250) * interval '1 day'
                                   + CASE WHEN k % 2 = 0 THEN interval '9 hours' ELSE interval '14 hours' END AS s) AS slot
        JOIN bench_patients pa ON pa.n = 1 + ((pr.n * 7919 + k * 104729) % 10000);

        INSERT INTO medications (id, patient_id, drug, dose, unit, route, schedule_times, schedule_days, start_date, created_by, created_at, updated_at)
        SELECT gen_random_uuid(), pa.id, 'Estradiol', 1, 'mg', 'oral', '{08:00,20:00}', '{1,2,3,4,5,6,7}', ($1 - interval '30 days')::date, 'bench', $1, $1
        FROM bench_patients pa;
        DROP TABLE bench_patients, bench_providers;
        """;

    public static async Task RunAsync(SmtpSink sink, Func<int, double> cpuSeconds, Func<int, double> treeCpuSeconds, CancellationToken stopping)
    {
        await using var app = await DistributedApplicationTestingBuilder.CreateAsync(configure: o => o.StartupTimeout = TimeSpan.FromMinutes(3));
        var worker = (ExecutableResource)app.GetResource("worker");
        worker.EnvironmentCallbacks.Add(context =>
        {
            context.Variables["Email__Smtp__Host"] = "127.0.0.1";
            context.Variables["Email__Smtp__Port"] = sink.Port.ToString(CultureInfo.InvariantCulture);
            context.Variables["Reminders__Planning__PollInterval"] = "00:00:01";
            context.Variables["Logging__LogLevel__Default"] = "Warning";
        });
        await app.StartAsync(stopping);
        await using var dataSource = NpgsqlDataSource.Create(app.GetConnectionString("menotime"));
        // The seed and ANALYZE as the owner, as bench/api does with psql.
        await using var owner = NpgsqlDataSource.Create(((PostgresDatabaseResource)app.GetResource("menotime")).GetOwnerConnectionString(app));
        var clock = new TestClock(app.Options.ClockOffsetFile);
        var workerPid = app.GetInstances(worker)[0].ProcessId!.Value;
        var postmaster = app.GetInstances(app.GetResource("postgres"))[0].ProcessId!.Value;
        var cpu = () => (Worker: cpuSeconds(workerPid), Postgres: treeCpuSeconds(postmaster));

        Console.WriteLine("planning (one planner at a time; 10,000 patients, 200,000 appointments, 10,000 dose schedules; horizon 2 days):");
        var seeded = clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(owner, Seed, stopping, seeded);
        await ExecuteAsync(owner, "ANALYZE patients, appointments, medications", stopping);
        Console.WriteLine($"  seed written in {watch.Elapsed.TotalSeconds:F1} s");

        // Caught up once a round has started after the commit: rounds during the seed saw none of it.
        var committed = clock.GetUtcNow();
        await MeasureAsync("first plan of everything", dataSource, cpu, () => CaughtUpAsync(dataSource, committed, stopping), stopping);

        var changed = clock.GetUtcNow();
        await ExecuteAsync(dataSource, """
            UPDATE patients SET reminder_lead_minutes = '{1440,120}', updated_at = $1 WHERE id IN (SELECT id FROM patients ORDER BY id LIMIT 1000);
            UPDATE appointments SET status = 'cancelled', cancel_reason = 'bench', cancelled_at = $1, updated_at = $1
            WHERE id IN (SELECT id FROM appointments WHERE status = 'booked' AND starts_at > $1 + interval '3 hours' AND starts_at < $1 + interval '2 days' ORDER BY id LIMIT 200);
            """, stopping, changed);
        committed = clock.GetUtcNow();
        await MeasureAsync("1,000 patients' lead times + 200 cancellations", dataSource, cpu, () => CaughtUpAsync(dataSource, committed, stopping), stopping);

        var horizon = await ScalarAsync<DateTimeOffset>(dataSource, "SELECT horizon_end FROM reminder_planner_state", stopping);
        app.AdvanceClock(TimeSpan.FromHours(6.5));
        await MeasureAsync("horizon rolled 6.5 h (reminders then due are being sent meanwhile)", dataSource, cpu,
            async () => await ScalarAsync<DateTimeOffset>(dataSource, "SELECT horizon_end FROM reminder_planner_state", stopping) > horizon, stopping);

        var (idleWorker, idlePostgres) = cpu();
        await Task.Delay(TimeSpan.FromSeconds(30), stopping);
        var (afterWorker, afterPostgres) = cpu();
        Console.WriteLine($"  idle (planning every second, nothing changed): worker {(afterWorker - idleWorker) / 30 * 100:F1} % of a core, PostgreSQL {(afterPostgres - idlePostgres) / 30 * 100:F1} %");
        Console.WriteLine();
    }

    private static async Task MeasureAsync(string what, NpgsqlDataSource dataSource, Func<(double Worker, double Postgres)> cpu, Func<Task<bool>> done, CancellationToken stopping)
    {
        var before = await CountsAsync(dataSource, stopping);
        var (workerBefore, postgresBefore) = cpu();
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            await Task.Delay(20, stopping);
            if (watch.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"planning not done after 10 minutes: {what}");
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var (workerAfter, postgresAfter) = cpu();
        var after = await CountsAsync(dataSource, stopping);
        var written = after.Rows - before.Rows + (after.Retired - before.Retired);
        Console.WriteLine($"  {what}: {seconds:F2} s, {after.Rows - before.Rows} reminders created, {after.Retired - before.Retired} retired " +
                          $"({written / seconds:F0} rows/s); CPU: worker {workerAfter - workerBefore:F2} s, PostgreSQL {postgresAfter - postgresBefore:F2} s");
    }

    /// <summary>Whether a round that started after the changes made at <paramref name="changedAt"/> has finished (compared in SQL: microseconds).</summary>
    private static async Task<bool> CaughtUpAsync(NpgsqlDataSource dataSource, DateTimeOffset changedAt, CancellationToken stopping)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(last_round_at > $1, false) FROM reminder_planner_state");
        command.Parameters.Add(new NpgsqlParameter { Value = changedAt.ToUniversalTime() });
        return (bool)(await command.ExecuteScalarAsync(stopping))!;
    }

    private static async Task<(long Rows, long Retired)> CountsAsync(NpgsqlDataSource dataSource, CancellationToken stopping)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*), count(*) FILTER (WHERE status = 'retired') FROM notifications");
        await using var reader = await command.ExecuteReaderAsync(stopping);
        await reader.ReadAsync(stopping);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken stopping, params object[] values)
    {
        await using var connection = await dataSource.OpenConnectionAsync(stopping);
        await using var transaction = await connection.BeginTransactionAsync(stopping);
        foreach (var statement in sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await using var command = new NpgsqlCommand(statement.TrimEnd(';'), connection, transaction);
            if (statement.Contains("$1", StringComparison.Ordinal))
            {
                command.Parameters.AddRange(values.Select(v => new NpgsqlParameter { Value = v is DateTimeOffset at ? at.ToUniversalTime() : v }).ToArray());
            }

            await command.ExecuteNonQueryAsync(stopping);
        }

        await transaction.CommitAsync(stopping);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken stopping)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(stopping);
        await reader.ReadAsync(stopping);
        return reader.GetFieldValue<T>(0);
    }
}
