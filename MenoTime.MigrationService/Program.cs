// The migration step of the graph: applies the schema once, then exits. The AppHost starts `api` and
// `worker` only after it exits with 0 (WaitForCompletion); in ECS it runs as a one-off task per deploy.
// `verify-audit` instead recomputes the audit trail's hash chains and exits 0 when intact, 2 when broken.
using MenoTime.Data;
using MenoTime.Data.Audit;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase(repeatedStatements: false);

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MenoTime.Migrations");
try
{
    if (args.Contains("verify-audit"))
    {
        var result = await AuditChainVerifier.VerifyAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
        Console.WriteLine(result.Verified
            ? $"audit trail intact: {result.RowsChecked} rows in {result.Chains} chains"
            : $"audit trail BROKEN: {string.Join("; ", result.BrokenChains.Select(b => $"chain {b.Chain} at seq {b.Seq} (event {b.EventId}, {b.OccurredAt:O}): {b.Problem}"))}");
        return result.Verified ? 0 : 2;
    }

    await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
    if (builder.Configuration["Database:ApplicationRolePassword"] is { Length: > 0 } password)
    {
        // In AWS the application role's login lives in Secrets Manager; locally the AppHost sets it itself.
        await ApplicationRole.SetPasswordAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), password, CancellationToken.None);
        logger.LogInformation("Application role login updated");
    }

    return 0;
}
catch (Exception e)
{
    logger.LogCritical(e, "Schema migration failed; api and worker will not start");
    return 1;
}
finally
{
    // Flushes the telemetry providers the container owns.
    await host.StopAsync();
}
