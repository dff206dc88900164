// The MenoTime application model: what runs, what each part gets, and what waits for what.
// Run mode: `dotnet run --project MenoTime.AppHost` starts it all on this machine.
// Publish mode: `dotnet run --project MenoTime.AppHost -- publish --environment dev|staging|prod` writes the
// AWS topology (ECS Fargate, RDS, SES, CloudFormation) as CloudFormation templates (Publishing/).
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Aws;
using MenoTime.AppHost.Hosting.Mail;
using MenoTime.AppHost.Hosting.Postgres;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.Configuration;

var postgres = builder.AddPostgres("postgres", port: settings.GetValue("postgres-port", 55432));
var database = postgres.AddDatabase("menotime");

var mail = builder.AddMailDev("mail", smtpPort: settings.GetValue("smtp-port", 1025), webPort: settings.GetValue("mail-port", 1080));

// Stands in for the Cognito user pool: an OIDC issuer of real RS256 tokens for any role.
var identity = builder.AddProject<Projects.MenoTime_DevIdentity>("identity")
    .WithHttpEndpoint(port: settings.GetValue("identity-port", 8001))
    .WithHttpHealthCheck("/health")
    .ExcludeFromManifest();
identity.WithEnvironment("Identity__Issuer", identity.GetEndpoint());
// KMS key, S3 buckets, SES configuration set: a CloudFormation stack in the local AWS emulator (moto),
// or in a real account with --aws-profile. Its outputs reach the services as AWS__Resources__*.
var aws = builder.AddAwsCloudFormationTemplate("aws", "aws/app-resources.json");

var migrations = builder.AddProject<Projects.MenoTime_MigrationService>("migrations")
    .WithOwnerReference(database)
    .WaitFor(database);

var api = builder.AddProject<Projects.MenoTime_Api>("api")
    .WithHttpEndpoint(port: settings.GetValue("api-port", 8000))
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithReference(database)
    .WithReference(mail)
    .WithEnvironment("Auth__Authority", identity.GetEndpoint())
    .WithEnvironment("Network__TrustedNetworks", "127.0.0.0/8") // X-Forwarded-For from local proxies and tests
    .WithEnvironment("Security__AlertRecipients__0", "security@menotime.local") // break-glass alerts, shown in MailDev
    .WaitFor(identity)
    .WithReference(aws)
    .WaitFor(aws)
    .WithGeneratedSecret("Email__UnsubscribeKey", "email-unsubscribe-key")
    .WaitForCompletion(migrations);

builder.AddProject<Projects.MenoTime_Worker>("worker")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(settings.GetValue("replicas", 1))
    .WithReference(database)
    .WithReference(mail)
    .WithReference(api)
    .WithReference(aws)
    .WaitFor(aws)
    .WithGeneratedSecret("Email__UnsubscribeKey", "email-unsubscribe-key")
    .WaitForCompletion(migrations)
    .WaitFor(mail);

builder.Build().Run();
