// The migration step of the graph: applies the schema once, then exits. The AppHost starts `api` and
// `worker` only after it exits with 0 (WaitForCompletion); in ECS it runs as a one-off task per deploy.
using MenoTime.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MenoTime.Migrations");
try
{
    await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(CancellationToken.None);
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
