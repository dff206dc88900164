using System.Net;
using System.Net.Http.Json;
using System.Net.Mail;
using System.Text.Json;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.Data;
using Npgsql;

namespace MenoTime.IntegrationTests;

/// <summary>The graph as a whole: every part up, reachable, and wired per the configuration contract.</summary>
public sealed class GraphTests(MenoTimeGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task The_api_answers_its_health_endpoints(string path)
    {
        using var response = await graph.Api.GetAsync(path, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (await ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Api_readiness_includes_the_database_and_its_schema()
    {
        using var response = await graph.Api.GetAsync("/health", Cancellation);

        var database = (await ReadJsonAsync(response)).GetProperty("checks").GetProperty("database");
        Assert.Equal("Healthy", database.GetProperty("status").GetString());
        Assert.Equal($"schema at {SchemaMigrator.LatestVersion}", database.GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_worker_reports_healthy_with_its_heartbeat()
    {
        using var worker = graph.App.CreateHttpClient("worker");

        using var response = await worker.GetAsync("/health", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = (await ReadJsonAsync(response)).GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("heartbeat").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_request_to_the_api_reaches_postgres_and_sees_the_worker()
    {
        var status = await graph.Api.GetFromJsonAsync<JsonElement>("/api/v1/status", Cancellation);

        Assert.Equal(SchemaMigrator.LatestVersion, status.GetProperty("schemaVersion").GetString());
        var databaseTime = status.GetProperty("databaseTime").GetDateTimeOffset();
        Assert.InRange(databaseTime, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        var worker = Assert.Single(status.GetProperty("workers").EnumerateArray());
        var instanceId = worker.GetProperty("instanceId").GetString();

        // The same row, read straight from PostgreSQL.
        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT service_name FROM worker_heartbeats WHERE instance_id = $1", connection);
        command.Parameters.Add(new() { Value = instanceId! });
        Assert.Equal("MenoTime.Worker", await command.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task The_mail_sink_accepts_a_message_over_smtp_and_shows_it()
    {
        var api = graph.App.GetInstances(graph.App.GetResource("api")).Single().Environment;
        var subject = $"graph test {Guid.NewGuid():N}";
        using (var smtp = new SmtpClient(api["Email__Smtp__Host"], int.Parse(api["Email__Smtp__Port"], System.Globalization.CultureInfo.InvariantCulture)))
        using (var message = new MailMessage(new MailAddress("no-reply@menotime.local"), new MailAddress("patient@example.test")))
        {
            message.Subject = subject;
            message.Body = "You have an upcoming appointment.";
            await smtp.SendMailAsync(message, Cancellation);
        }

        var received = await graph.Mail.WaitForMessageAsync(m => m.Subject == subject, TimeSpan.FromSeconds(30), Cancellation);

        Assert.Equal("patient@example.test", Assert.Single(received.To).Address);
        Assert.Contains("You have an upcoming appointment.", received.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Services_receive_the_configuration_contract()
    {
        var app = graph.App;
        var api = app.GetInstances(app.GetResource("api")).Single();
        var worker = app.GetInstances(app.GetResource("worker")).Single();
        var mail = app.GetInstances(app.GetResource("mail")).Single();

        foreach (var service in new[] { api, worker })
        {
            Assert.Equal(app.GetConnectionString("menotime"), service.Environment["ConnectionStrings__menotime"]);
            Assert.Equal("127.0.0.1", service.Environment["Email__Smtp__Host"]);
            Assert.Equal(mail.Ports["smtp"].ToString(System.Globalization.CultureInfo.InvariantCulture), service.Environment["Email__Smtp__Port"]);
            Assert.Equal("false", service.Environment["Email__Smtp__UseStartTls"]);
            Assert.False(string.IsNullOrWhiteSpace(service.Environment["Email__From"]));
            Assert.Equal(service.Resource.Name, service.Environment["OTEL_SERVICE_NAME"]);
            Assert.Equal($"service.instance.id={service.Name}", service.Environment["OTEL_RESOURCE_ATTRIBUTES"]);
            Assert.Equal(service.GetUrl("http").ToString().TrimEnd('/'), service.Environment["ASPNETCORE_URLS"]);
        }

        Assert.Equal(api.GetUrl("http").ToString().TrimEnd('/'), worker.Environment["services__api__http__0"]);
    }

    [Fact]
    public void The_migration_step_ran_once_and_finished()
    {
        var migrations = graph.App.GetInstances(graph.App.GetResource("migrations")).Single();

        Assert.Equal(ResourceState.Finished, migrations.State);
        Assert.Equal(0, migrations.ExitCode);
        Assert.Contains(graph.App.GetLog("migrations").Snapshot(), l => l.Text.Contains($"Schema is at {SchemaMigrator.LatestVersion}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_document_with_the_security_headers()
    {
        using var response = await graph.Api.GetAsync("/api/v1/no-such-thing", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await ReadJsonAsync(response)).GetProperty("status").GetInt32());
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.StartsWith("max-age=", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation)).RootElement;
}
