using System.Net;
using System.Net.Http.Json;
using MenoTime.IntegrationTests.Clinical;
using Npgsql;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

public sealed class SessionAndAbuseTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Logout_ends_the_session_at_once_though_the_token_is_still_valid()
    {
        var patient = await _clinic.NewPatientAsync();

        await Expect(HttpStatusCode.NoContent, await patient.Client.PostAsync("/api/v1/sessions/logout", null, Cancellation));
        var after = await patient.Client.GetAsync("/api/v1/patients/me", Cancellation);

        await ExpectProblem(HttpStatusCode.Unauthorized, after, "session-ended");
        // A new sign-in is a new session.
        using var again = await _clinic.ClientAsync(patient.Subject, "patient");
        await Expect(HttpStatusCode.OK, await again.GetAsync("/api/v1/patients/me", Cancellation));
    }

    [Fact]
    public async Task Over_the_per_address_limit_the_api_answers_429_with_retry_after()
    {
        var address = RandomClientAddress();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 2001 && refused is null; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
            request.Headers.Add("X-Forwarded-For", address);
            var response = await _clinic.Anonymous.SendAsync(request, Cancellation);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
                Assert.Equal(2000, i);
            }
        }

        Assert.NotNull(refused);
        await ExpectProblem(HttpStatusCode.TooManyRequests, refused, "rate-limited");
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        // Another address is not affected.
        using var other = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status");
        other.Headers.Add("X-Forwarded-For", RandomClientAddress());
        await Expect(HttpStatusCode.OK, await _clinic.Anonymous.SendAsync(other, Cancellation));
    }

    [Fact]
    public async Task Session_endpoints_are_limited_more_strictly_per_subject()
    {
        var subject = $"patient-{Guid.NewGuid():N}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            using var client = await _clinic.ClientAsync(subject, "patient");
            statuses.Add((await client.PostAsync("/api/v1/sessions/logout", null, Cancellation)).StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NoContent, 10).Append(HttpStatusCode.TooManyRequests), statuses);
    }

    [Fact]
    public async Task Break_glass_needs_a_reason_opens_the_record_and_flags_every_access_in_the_audit_trail()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        var url = $"/api/v1/patients/{patient.Id}/emergency-access";
        await ExpectProblem(HttpStatusCode.NotFound, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/medications", Cancellation));

        await ExpectProblem(HttpStatusCode.BadRequest, await provider.Client.PostAsJsonAsync(url, new { reason = "because" }, Cancellation), "validation");
        var grant = await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(url, new { reason = "Unconscious in A&E, needs HRT history" }, Cancellation));
        await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/medications", Cancellation));

        Assert.Equal(TimeSpan.FromMinutes(60), grant.GetProperty("expiresAt").GetDateTimeOffset() - grant.GetProperty("grantedAt").GetDateTimeOffset());
        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(
            "SELECT resource_type, status, break_glass FROM audit_events WHERE subject = $1 AND patient_id = $2 ORDER BY occurred_at, id", connection);
        command.Parameters.Add(new() { Value = provider.Subject });
        command.Parameters.Add(new() { Value = patient.Id });
        var rows = new List<(string Type, short Status, bool BreakGlass)>();
        await using (var reader = await command.ExecuteReaderAsync(Cancellation))
        {
            while (await reader.ReadAsync(Cancellation))
            {
                rows.Add((reader.GetString(0), reader.GetInt16(1), reader.GetBoolean(2)));
            }
        }

        Assert.Equal(
            [("medication", (short)404, false), ("emergency_access", (short)400, false), ("emergency_access", (short)201, true), ("medication", (short)200, true)],
            rows);
        // The patient sees it in their accounting of disclosures.
        var log = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/access-log", Cancellation));
        Assert.Contains(log.GetProperty("items").EnumerateArray(), e => e.GetProperty("breakGlass").GetBoolean());
    }

    [Fact]
    public async Task Break_glass_emails_the_administrators_even_when_the_patient_opted_out_of_email_and_names_no_reason()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await using (var connection = new NpgsqlConnection(graph.OwnerConnectionString))
        {
            // The patient turned reminder email off: that must not silence a security alert about their record.
            await connection.OpenAsync(Cancellation);
            await using var optOut = new NpgsqlCommand(
                "INSERT INTO email_suppressions (address, patient_id, reason, source) VALUES ($1, $2, 'unsubscribe', 'test')", connection);
            optOut.Parameters.Add(new() { Value = $"{patient.Subject}@example.org" });
            optOut.Parameters.Add(new() { Value = patient.Id });
            await optOut.ExecuteNonQueryAsync(Cancellation);
        }

        const string reason = "Unconscious in A&E, needs HRT history";
        var grant = await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/emergency-access", new { reason }, Cancellation));
        var grantId = grant.GetProperty("id").GetGuid();

        var alert = await graph.Mail.WaitForMessageAsync(m => m.Text?.Contains(grantId.ToString(), StringComparison.Ordinal) == true, TimeSpan.FromSeconds(60), Cancellation);
        Assert.Equal("security@menotime.local", Assert.Single(alert.To).Address);
        Assert.Equal("MenoTime security alert: emergency access used", alert.Subject);
        Assert.Contains(patient.Id.ToString(), alert.Text, StringComparison.Ordinal);
        Assert.Contains($"/api/v1/audit?patientId={patient.Id}", alert.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("A&E", alert.Text, StringComparison.Ordinal); // the stated reason stays in the database
        Assert.Null(alert.Header("List-Unsubscribe"));

        // The administrator follows the email's link to the grant and reads the reason there (the provider cannot).
        var review = new Uri(alert.Text!.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("/api/v1/emergency-access?", StringComparison.Ordinal)));
        Assert.Equal($"?patientId={patient.Id}", review.Query);
        using var admin = await _clinic.AdminAsync();
        var grants = await Expect(HttpStatusCode.OK, await admin.GetAsync(review.PathAndQuery, Cancellation));
        var reviewed = Assert.Single(grants.GetProperty("items").EnumerateArray());
        Assert.Equal((grantId, provider.Id, reason), (reviewed.GetProperty("id").GetGuid(), reviewed.GetProperty("providerId").GetGuid(), reviewed.GetProperty("reason").GetString()));
        await ExpectProblem(HttpStatusCode.Forbidden, await provider.Client.GetAsync(review.PathAndQuery, Cancellation));

        // Administrators see it among notifications, sent; the patient's own list is of reminders to them only.
        var forAdmin = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/notifications?patientId={patient.Id}", Cancellation));
        var row = Assert.Single(forAdmin.GetProperty("items").EnumerateArray());
        Assert.Equal(("emergency-access", $"emergency-access:{grantId}"), (row.GetProperty("kind").GetString(), row.GetProperty("target").GetString()));
        await WaitUntilAsync(async () => (await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/notifications?patientId={patient.Id}", Cancellation)))
            .GetProperty("items")[0].GetProperty("status").GetString() == "sent", "the alert recorded as sent");
        var forPatient = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync("/api/v1/notifications", Cancellation));
        Assert.Empty(forPatient.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Administrators_page_through_break_glass_grants_newest_first_and_by_provider()
    {
        var patient = await _clinic.NewPatientAsync();
        var first = await _clinic.NewProviderAsync();
        var second = await _clinic.NewProviderAsync();
        var url = $"/api/v1/patients/{patient.Id}/emergency-access";
        var older = await Expect(HttpStatusCode.Created, await first.Client.PostAsJsonAsync(url, new { reason = "Collapsed at the clinic, on HRT" }, Cancellation));
        var newer = await Expect(HttpStatusCode.Created, await second.Client.PostAsJsonAsync(url, new { reason = "Covering the patient's usual provider" }, Cancellation));
        using var admin = await _clinic.AdminAsync();

        var page1 = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/emergency-access?patientId={patient.Id}&limit=1", Cancellation));
        var page2 = await Expect(HttpStatusCode.OK, await admin.GetAsync(
            $"/api/v1/emergency-access?patientId={patient.Id}&limit=1&cursor={page1.GetProperty("nextCursor").GetString()}", Cancellation));
        var byFirst = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/emergency-access?providerId={first.Id}", Cancellation));

        Assert.Equal(newer.GetProperty("id").GetGuid(), Assert.Single(page1.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(older.GetProperty("id").GetGuid(), Assert.Single(page2.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.False(page2.TryGetProperty("nextCursor", out _), "the last page has no next cursor");
        Assert.Equal("Collapsed at the clinic, on HRT", Assert.Single(byFirst.GetProperty("items").EnumerateArray()).GetProperty("reason").GetString());
        await ExpectProblem(HttpStatusCode.BadRequest, await admin.GetAsync("/api/v1/emergency-access?cursor=not-ours", Cancellation), "validation");
    }

    [Fact]
    public async Task The_api_refuses_to_start_without_an_address_for_break_glass_alerts()
    {
        var (exitCode, output) = await graph.RunApiAsync(null, environment => environment["Security__AlertRecipients__0"] = null, TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Security:AlertRecipients is not set", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_break_glass_request_sends_no_alert()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();

        await ExpectProblem(HttpStatusCode.BadRequest, await provider.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/emergency-access", new { reason = "because" }, Cancellation), "validation");

        using var admin = await _clinic.AdminAsync();
        var forAdmin = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/notifications?patientId={patient.Id}", Cancellation));
        Assert.Empty(forAdmin.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Api_responses_are_never_cached()
    {
        var patient = await _clinic.NewPatientAsync();

        var ok = await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation);
        var denied = await _clinic.Anonymous.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation);

        Assert.Equal("no-store", ok.Headers.CacheControl?.ToString());
        Assert.Equal("no-store", denied.Headers.CacheControl?.ToString());
        Assert.Equal("DENY", Assert.Single(ok.Headers.GetValues("X-Frame-Options")));
    }
}
