using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

/// <summary>What every endpoint does the same way: errors, tokens, paging, idempotent creates, limits, OpenAPI.</summary>
public sealed class ConventionTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Without_a_valid_token_the_api_answers_401_problem()
    {
        var patient = await _clinic.NewPatientAsync();
        var token = await _clinic.TokenAsync(patient.Subject, "patient");
        var tampered = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");

        var anonymous = await _clinic.Anonymous.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/patients/{patient.Id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        var forged = await _clinic.Anonymous.SendAsync(request, Cancellation);

        await ExpectProblem(HttpStatusCode.Unauthorized, anonymous);
        await ExpectProblem(HttpStatusCode.Unauthorized, forged);
    }

    [Fact]
    public async Task A_role_without_the_right_gets_403_problem()
    {
        var patient = await _clinic.NewPatientAsync();

        var response = await patient.Client.PostAsJsonAsync("/api/v1/providers", new { subject = "x", displayName = "Dr X", email = "x@clinic.test", timeZone = "UTC" }, Cancellation);

        await ExpectProblem(HttpStatusCode.Forbidden, response, "forbidden");
    }

    [Fact]
    public async Task Paging_walks_every_item_once_even_while_items_are_added()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/symptoms";
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        var original = new List<Guid>();
        for (var i = 0; i < 25; i++)
        {
            var created = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(url, new { code = "mood", severity = i % 11, occurredAt = start.AddMinutes(i) }, Cancellation));
            original.Add(created.GetProperty("id").GetGuid());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"{url}?limit=10" + (cursor is null ? "" : $"&cursor={cursor}"), Cancellation));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            // Newer entries arrive between pages; they sort before the cursor and must not disturb the walk.
            await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(url, new { code = "mood", severity = 1, occurredAt = DateTimeOffset.UtcNow }, Cancellation));
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        original.Reverse(); // Newest first.
        Assert.Equal(original, seen);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("cursor=not-a-cursor")]
    public async Task Bad_paging_parameters_are_400(string query)
    {
        var patient = await _clinic.NewPatientAsync();

        var response = await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/symptoms?{query}", Cancellation);

        await ExpectProblem(HttpStatusCode.BadRequest, response, "validation");
    }

    [Fact]
    public async Task A_retried_create_with_the_same_idempotency_key_returns_the_first_result_and_creates_nothing()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/symptoms";
        var body = new { code = "hot_flush", severity = 5, occurredAt = DateTimeOffset.UtcNow.AddMinutes(-5) };
        HttpRequestMessage Create(object content, string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(content) };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }

        var key = Guid.NewGuid().ToString();
        var first = await Expect(HttpStatusCode.Created, await patient.Client.SendAsync(Create(body, key), Cancellation));
        var retried = await patient.Client.SendAsync(Create(body, key), Cancellation);
        var other = await patient.Client.SendAsync(Create(body with { severity = 6 }, key), Cancellation);

        Assert.Equal(first.GetProperty("id").GetGuid(), (await Expect(HttpStatusCode.Created, retried)).GetProperty("id").GetGuid());
        Assert.Equal("true", Assert.Single(retried.Headers.GetValues("Idempotent-Replayed")));
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, other, "idempotency-key-reused");
        var list = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(url, Cancellation));
        Assert.Equal(1, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_create_one_appointment()
    {
        var provider = await _clinic.NewProviderAsync();
        var patient = await _clinic.NewPatientAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/appointments") { Content = JsonContent.Create(new { providerId = provider.Id, startsAt = FutureSlot(10) }) };
            request.Headers.Add("Idempotency-Key", key);
            return patient.Client.SendAsync(request, Cancellation);
        }));

        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            ids.Add((await Expect(HttpStatusCode.Created, response)).GetProperty("id").GetGuid());
        }

        Assert.Single(ids);
    }

    [Fact]
    public async Task Malformed_json_and_unknown_fields_are_400_problems_that_point_at_the_field()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/symptoms";

        var malformed = await patient.Client.PostAsync(url, new StringContent("{\"code\": \"mood\", ", Encoding.UTF8, "application/json"), Cancellation);
        var wrongType = await patient.Client.PostAsync(url, new StringContent("{\"code\": \"mood\", \"severity\": \"high\"}", Encoding.UTF8, "application/json"), Cancellation);
        var unknown = await patient.Client.PostAsJsonAsync(url, new { code = "mood", severity = 1, occurredAt = DateTimeOffset.UtcNow, recordedBy = "someone-else" }, Cancellation);

        await ExpectProblem(HttpStatusCode.BadRequest, malformed, "malformed-request");
        Assert.True((await ExpectProblem(HttpStatusCode.BadRequest, wrongType, "malformed-request")).GetProperty("errors").TryGetProperty("$.severity", out _));
        await ExpectProblem(HttpStatusCode.BadRequest, unknown, "malformed-request");
    }

    [Fact]
    public async Task A_body_over_one_megabyte_is_413()
    {
        var patient = await _clinic.NewPatientAsync();
        var huge = new string('a', 1_100_000);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patients/{patient.Id}/symptoms")
        {
            Content = JsonContent.Create(new { code = "mood", severity = 1, occurredAt = DateTimeOffset.UtcNow, note = huge }),
        };
        request.Headers.ExpectContinue = true; // Read the 413 rather than write into the connection the server closes.
        var response = await patient.Client.SendAsync(request, Cancellation);

        await ExpectProblem(HttpStatusCode.RequestEntityTooLarge, response, "payload-too-large");
    }

    [Fact]
    public async Task The_openapi_document_describes_every_api_endpoint()
    {
        var document = await Expect(HttpStatusCode.OK, await _clinic.Anonymous.GetAsync("/openapi/v1.json", Cancellation));
        var paths = document.GetProperty("paths");

        foreach (var path in new[]
        {
            "/api/v1/patients", "/api/v1/patients/me", "/api/v1/patients/{patientId}", "/api/v1/providers/{providerId}/slots",
            "/api/v1/appointments", "/api/v1/appointments/{appointmentId}", "/api/v1/patients/{patientId}/questionnaires/{instrument}",
            "/api/v1/patients/{patientId}/symptoms", "/api/v1/patients/{patientId}/medications/{medicationId}/doses",
            "/api/v1/patients/{patientId}/notes/{noteId}/versions",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is documented");
        }

        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _));
    }
}
