// The MenoTime application model: what runs, what each part gets, and what waits for what.
// Run mode: `dotnet run --project MenoTime.AppHost` starts it all on this machine.
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Mail;
using MenoTime.AppHost.Hosting.Postgres;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.Configuration;

var postgres = builder.AddPostgres("postgres", port: settings.GetValue("postgres-port", 55432));
var database = postgres.AddDatabase("menotime");

var mail = builder.AddMailDev("mail", smtpPort: settings.GetValue("smtp-port", 1025), webPort: settings.GetValue("mail-port", 1080));

var migrations = builder.AddProject<Projects.MenoTime_MigrationService>("migrations")
    .WithReference(database)
    .WaitFor(database);

var api = builder.AddProject<Projects.MenoTime_Api>("api")
    .WithHttpEndpoint(port: settings.GetValue("api-port", 8000))
    .WithHttpHealthCheck("/health")
    .WithReference(database)
    .WithReference(mail)
    .WithGeneratedSecret("Email__UnsubscribeKey", "email-unsubscribe-key")
    .WaitForCompletion(migrations);

builder.AddProject<Projects.MenoTime_Worker>("worker")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(settings.GetValue("replicas", 1))
    .WithReference(database)
    .WithReference(mail)
    .WithReference(api)
    .WithGeneratedSecret("Email__UnsubscribeKey", "email-unsubscribe-key")
    .WaitForCompletion(migrations)
    .WaitFor(mail);

builder.Build().Run();
