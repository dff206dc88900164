using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;

namespace MenoTime.IntegrationTests.Clinical;

/// <summary>
/// Test helpers over the running graph: signed tokens from the development issuer, and patients and
/// providers created through the API itself, each with a fresh subject so tests never share records.
/// </summary>
public sealed class Clinic(DistributedApplication app, HttpClient anonymous)
{
    public Clinic(MenoTimeGraph graph)
        : this(graph.App, graph.Api)
    {
    }

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public HttpClient Anonymous => anonymous;

    public async Task<HttpClient> ClientAsync(string subject, params string[] roles)
    {
        var token = await TokenAsync(subject, roles);
        var client = app.CreateHttpClient("api");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Each client comes from an address of its own (the API trusts X-Forwarded-For from loopback), so
        // per-address rate limits count each test's requests alone.
        client.DefaultRequestHeaders.Add("X-Forwarded-For", RandomClientAddress());
        return client;
    }

    public async Task<string> TokenAsync(string subject, params string[] roles)
    {
        using var identity = app.CreateHttpClient("identity");
        using var response = await identity.PostAsJsonAsync("/token", new { subject, roles }, Cancellation);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("accessToken").GetString()!;
    }

    /// <summary>An address in 198.18.0.0/15, the range reserved for benchmarks and tests.</summary>
    public static string RandomClientAddress() => $"198.{18 + Random.Shared.Next(2)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    public Task<HttpClient> AdminAsync() => ClientAsync($"admin-{Guid.NewGuid():N}", "admin");

    /// <summary>A patient who signed in and created their own profile.</summary>
    public async Task<Party> NewPatientAsync(string timeZone = "Europe/London", object? profile = null)
    {
        var subject = $"patient-{Guid.NewGuid():N}";
        var client = await ClientAsync(subject, "patient");
        var body = profile ?? new { givenName = "Ann", familyName = "Lee", dateOfBirth = "1971-05-04", email = $"{subject}@example.test", timeZone };
        var created = await Expect(HttpStatusCode.Created, await client.PostAsJsonAsync("/api/v1/patients", body, Cancellation));
        return new Party(subject, created.GetProperty("id").GetGuid(), client);
    }

    /// <summary>A provider created by an admin, working every day from <paramref name="from"/> to <paramref name="to"/> in their zone.</summary>
    public async Task<Party> NewProviderAsync(string timeZone = "UTC", string from = "00:00", string to = "23:30", int slotMinutes = 30)
    {
        var subject = $"provider-{Guid.NewGuid():N}";
        using var admin = await AdminAsync();
        var created = await Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/v1/providers",
            new { subject, displayName = "Dr Rivera", email = $"{subject}@clinic.test", timeZone, slotMinutes }, Cancellation));
        var id = created.GetProperty("id").GetGuid();
        var client = await ClientAsync(subject, "provider");
        var weekly = Enumerable.Range(1, 7).Select(day => new { dayOfWeek = day, start = from, end = to });
        await Expect(HttpStatusCode.OK, await client.PutAsJsonAsync($"/api/v1/providers/{id}/availability", new { weeklyHours = weekly, timeOff = Array.Empty<object>() }, Cancellation));
        return new Party(subject, id, client);
    }

    /// <summary>A future slot start on the hour, <paramref name="daysAhead"/> days from now (UTC providers).</summary>
    public static DateTimeOffset FutureSlot(int daysAhead = 3, int hour = 10) =>
        new(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(daysAhead).AddHours(hour), TimeSpan.Zero);

    /// <summary>Polls <paramref name="condition"/> until it holds; three minutes, then a TimeoutException naming <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            while (!await condition())
            {
                await Task.Delay(10, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"gave up waiting for {what}");
        }
    }

    public static async Task<JsonElement> Expect(HttpStatusCode status, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.StatusCode == status, $"expected {(int)status} but got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Asserts a problem document with the status and, if given, the /problems/{code} type.</summary>
    public static async Task<JsonElement> ExpectProblem(HttpStatusCode status, HttpResponseMessage response, string? code = null)
    {
        var problem = await Expect(status, response);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (code is not null)
        {
            Assert.Equal($"/problems/{code}", problem.GetProperty("type").GetString());
        }

        return problem;
    }

    public static HttpRequestMessage WithIfMatch(HttpRequestMessage request, string? etag)
    {
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        }

        return request;
    }

    public static HttpRequestMessage Json(HttpMethod method, string url, object body, string? ifMatch = null) =>
        WithIfMatch(new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) }, ifMatch);
}

/// <summary>A signed-in person with their record id and an authenticated client.</summary>
public sealed record Party(string Subject, Guid Id, HttpClient Client);
