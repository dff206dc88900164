using System.Net;
using System.Net.Http.Json;
using MenoTime.Data;
using MenoTime.Data.Audit;
using MenoTime.IntegrationTests.Clinical;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

public sealed class AuditTrailTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task A_read_of_a_record_is_audited_with_who_what_outcome_and_where_but_no_phi()
    {
        var patient = await _clinic.NewPatientAsync(profile: new { givenName = "Zelda", familyName = "Quist", dateOfBirth = "1970-02-03", email = "zelda.quist@example.test", timeZone = "UTC" });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/patients/{patient.Id}");
        request.Headers.UserAgent.ParseAdd("AuditTest/1.0");
        var response = await patient.Client.SendAsync(request, Cancellation);
        await Expect(HttpStatusCode.OK, response);

        var rows = await AuditRowsAsync("resource_type = 'patient' AND subject = $1 AND action = 'read'", patient.Subject);

        var row = Assert.Single(rows);
        Assert.Equal("patient", row["role"]);
        Assert.Equal(patient.Id.ToString(), row["resource_id"]);
        Assert.Equal(patient.Id, row["patient_id"]);
        Assert.Equal((short)200, row["status"]);
        Assert.Equal("AuditTest/1.0", row["user_agent"]);
        Assert.False(string.IsNullOrEmpty(row["client_ip"] as string));
        Assert.False(string.IsNullOrEmpty(row["trace_id"] as string));
        Assert.False(string.IsNullOrEmpty(row["session_id"] as string));
        var everything = string.Join('|', (await AuditRowsAsync("patient_id = $1", patient.Id.ToString(), patientIdParameter: true)).SelectMany(r => r.Values).Select(v => v?.ToString()));
        foreach (var phi in new[] { "Zelda", "Quist", "zelda.quist", "1970-02-03" })
        {
            Assert.DoesNotContain(phi, everything, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_create_and_its_audit_row_commit_together_and_a_refused_create_changes_nothing_but_is_audited()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/symptoms";

        var created = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(url, new { code = "mood", severity = 3, occurredAt = DateTimeOffset.UtcNow }, Cancellation));
        await ExpectProblem(HttpStatusCode.BadRequest, await patient.Client.PostAsJsonAsync(url, new { code = "nope", severity = 30, occurredAt = DateTimeOffset.UtcNow }, Cancellation));

        var creates = await AuditRowsAsync("resource_type = 'symptom_entry' AND subject = $1 AND action = 'create'", patient.Subject);
        Assert.Equal([(short)201, (short)400], creates.Select(r => r["status"]));
        Assert.Equal(created.GetProperty("id").GetGuid().ToString(), creates[0]["resource_id"]);
        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM symptom_entries WHERE patient_id = $1", connection);
        count.Parameters.Add(new() { Value = patient.Id });
        Assert.Equal(1L, await count.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task Denied_requests_are_audited_a_404_on_another_patients_record_and_a_401()
    {
        var ann = await _clinic.NewPatientAsync();
        var bea = await _clinic.NewPatientAsync();

        await ExpectProblem(HttpStatusCode.NotFound, await ann.Client.GetAsync($"/api/v1/patients/{bea.Id}/symptoms", Cancellation));
        using var forged = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/patients/{bea.Id}");
        forged.Headers.Authorization = new("Bearer", "not.a.token");
        forged.Headers.UserAgent.ParseAdd($"Forger/{bea.Id:N}");
        await ExpectProblem(HttpStatusCode.Unauthorized, await _clinic.Anonymous.SendAsync(forged, Cancellation));

        var denied = Assert.Single(await AuditRowsAsync("subject = $1 AND status = 404", ann.Subject));
        Assert.Equal(bea.Id, denied["patient_id"]);
        Assert.Equal("symptom_entry", denied["resource_type"]);
        var failure = Assert.Single(await AuditRowsAsync("user_agent = $1", $"Forger/{bea.Id:N}"));
        Assert.Equal("login-failure", failure["action"]);
        Assert.Equal((short)401, failure["status"]);
        Assert.Null(failure["subject"]);
    }

    [Fact]
    public async Task The_application_role_cannot_change_or_remove_audit_rows_and_neither_can_the_owner()
    {
        await _clinic.NewPatientAsync();

        var asApplication = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(graph.ConnectionString, "UPDATE audit_events SET status = 200"));
        var deleteAsApplication = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(graph.ConnectionString, "DELETE FROM audit_events"));
        var asOwner = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(graph.OwnerConnectionString, "DELETE FROM audit_events"));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(graph.OwnerConnectionString, "TRUNCATE audit_events"));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, asApplication.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, deleteAsApplication.SqlState);
        Assert.Contains("append-only", asOwner.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", truncate.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_trail_of_the_running_graph_verifies()
    {
        await _clinic.NewPatientAsync();
        using var admin = await _clinic.AdminAsync();

        var result = await Expect(HttpStatusCode.OK, await admin.GetAsync("/api/v1/audit/verify", Cancellation));

        Assert.True(result.GetProperty("verified").GetBoolean(), result.ToString());
        Assert.True(result.GetProperty("rowsChecked").GetInt64() > 0);
    }

    [Fact]
    public async Task A_row_edited_by_a_superuser_breaks_verification_at_that_row_in_the_api_and_on_the_command_line()
    {
        // On a database of its own, so the shared trail stays intact for the other tests.
        var database = $"audit_tamper_{Guid.NewGuid():N}";
        await ExecuteAsync(graph.OwnerConnectionString, $"CREATE DATABASE {database}");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(graph.OwnerConnectionString) { Database = database }.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(Cancellation);
            await using (var connection = await dataSource.OpenConnectionAsync(Cancellation))
            {
                for (var i = 0; i < 5; i++)
                {
                    await AuditStore.WriteAsync(connection, null, new AuditRecord(
                        DateTimeOffset.UtcNow, $"subject-{i}", "provider", "s1", AuditActions.Read, "patient", $"{i}", Guid.NewGuid(), 200, "10.0.0.1", "ua", "trace", false), Cancellation);
                }
            }

            Assert.True((await AuditChainVerifier.VerifyAsync(dataSource, Cancellation)).Verified);
            Assert.Equal(0, await RunVerifyCommandAsync(connectionString));

            // A superuser bypasses the append-only trigger and quietly changes who read the record.
            await ExecuteAsync(connectionString, "SET session_replication_role = replica; UPDATE audit_events SET subject = 'someone-else' WHERE subject = 'subject-3'");

            var result = await AuditChainVerifier.VerifyAsync(dataSource, Cancellation);
            Assert.False(result.Verified);
            var broken = result.FirstBrokenLink!;
            Assert.Equal("content does not match its hash: the row was changed", broken.Problem);
            Assert.Equal(await ScalarAsync<Guid>(connectionString, "SELECT id FROM audit_events WHERE subject = 'someone-else'"), broken.EventId);
            Assert.Equal(2, await RunVerifyCommandAsync(connectionString));
        }
        finally
        {
            await ExecuteAsync(graph.OwnerConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task Admins_search_the_trail_by_patient_with_paging_and_others_may_not()
    {
        var patient = await _clinic.NewPatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
        }

        using var admin = await _clinic.AdminAsync();
        var first = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/audit?patientId={patient.Id}&limit=2", Cancellation));
        var second = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/audit?patientId={patient.Id}&limit=2&cursor={first.GetProperty("nextCursor").GetString()}", Cancellation));

        var all = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).ToList();
        Assert.True(all.Count >= 4); // the create and three reads
        Assert.All(all, e => Assert.Equal(patient.Id, e.GetProperty("patientId").GetGuid()));
        Assert.Equal(all.Count, all.Select(e => e.GetProperty("id").GetGuid()).Distinct().Count());
        await ExpectProblem(HttpStatusCode.Forbidden, await patient.Client.GetAsync("/api/v1/audit", Cancellation));
    }

    [Fact]
    public async Task A_patient_sees_who_accessed_their_record()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(3) }, Cancellation));
        await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/symptoms", Cancellation));

        var log = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/access-log", Cancellation));

        var entries = log.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("subject").GetString() == provider.Subject && e.GetProperty("resourceType").GetString() == "symptom_entry");
        Assert.DoesNotContain(entries, e => e.GetProperty("subject").GetString() == patient.Subject);
        Assert.All(entries, e => Assert.False(e.TryGetProperty("clientIp", out _)));
        var stranger = await _clinic.NewPatientAsync();
        await ExpectProblem(HttpStatusCode.NotFound, await stranger.Client.GetAsync($"/api/v1/patients/{patient.Id}/access-log", Cancellation));
    }

    private async Task<List<Dictionary<string, object?>>> AuditRowsAsync(string where, string parameter, bool patientIdParameter = false)
    {
        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand($"SELECT * FROM audit_events WHERE {where} ORDER BY occurred_at, id", connection);
        command.Parameters.Add(new() { Value = patientIdParameter ? Guid.Parse(parameter) : parameter });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync(Cancellation))
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
        }

        return rows;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(CancellationToken.None))!;
    }

    /// <summary>The command-line check: the migration step's verify-audit command, as an operator runs it.</summary>
    private static async Task<int> RunVerifyCommandAsync(string connectionString)
    {
        var dll = new Projects.MenoTime_MigrationService().TargetPath;
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("verify-audit");
        start.Environment["ConnectionStrings__menotime"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync(Cancellation);
        return process.ExitCode;
    }
}
