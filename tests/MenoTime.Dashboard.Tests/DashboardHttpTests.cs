using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MenoTime.AppHost.Hosting.Dashboard;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace MenoTime.Dashboard.Tests;

/// <summary>The dashboard over plain HTTP: who gets in, what the OTLP endpoint accepts, what the pages' API shows.</summary>
public sealed class DashboardHttpTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> ProtectedRequests => new()
    {
        { "GET", "/" },
        { "GET", "/app.js" },
        { "GET", "/app.css" },
        { "GET", "/api/resources" },
        { "GET", "/api/resources/api/console" },
        { "GET", "/api/traces" },
        { "GET", "/api/logs" },
        { "GET", "/api/metrics" },
        { "GET", "/api/telemetry" },
        { "POST", "/api/instances/api/restart" },
        { "POST", "/api/instances/api/stop" },
    };

    [Theory]
    [MemberData(nameof(ProtectedRequests))]
    public async Task Without_the_login_cookie_every_page_and_api_is_refused(string method, string path)
    {
        using var client = graph.Anonymous();
        using var forged = new HttpRequestMessage(new HttpMethod(method), path);
        forged.Headers.Add("Cookie", $"{graph.Dashboard.Auth.CookieName}={graph.Dashboard.Auth.LoginToken}");

        using var anonymous = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Cancellation);
        using var withWrongCookie = await client.SendAsync(forged, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongCookie.StatusCode);
        var api = Assert.Single(graph.App.GetInstances(graph.App.GetResource("api")));
        Assert.Equal(0, api.Restarts);
        Assert.Equal(AppHost.Hosting.ResourceState.Healthy, api.State);
    }

    [Fact]
    public async Task A_wrong_login_token_is_refused_and_sets_no_cookie()
    {
        using var client = graph.Anonymous();

        using var response = await client.GetAsync($"/login?t={new string('0', graph.Dashboard.Auth.LoginToken.Length)}", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_login_link_sets_an_HttpOnly_SameSite_Strict_cookie_and_leads_to_the_page()
    {
        using var client = graph.Anonymous();

        using var response = await client.GetAsync(graph.Dashboard.LoginUrl, Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(graph.Dashboard.Auth.LoginToken, cookie, StringComparison.Ordinal);

        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var pageResponse = await client.SendAsync(page, Cancellation);
        Assert.Equal(HttpStatusCode.OK, pageResponse.StatusCode);
        Assert.Contains("<title>MenoTime dashboard</title>", await pageResponse.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", pageResponse.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_without_the_api_key_is_refused_and_nothing_is_kept()
    {
        using var client = graph.Anonymous();
        var name = $"refused-{Guid.NewGuid():N}";
        var payload = Otlp.Traces("otlp-test", Otlp.Span(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(8), null, name, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(5)));

        using var withoutKey = await client.SendAsync(Otlp.Post("/v1/traces", payload, apiKey: null), Cancellation);
        using var wrongKey = await client.SendAsync(Otlp.Post("/v1/traces", payload, apiKey: "not-the-key"), Cancellation);
        using var sessionIsNotEnough = Otlp.Post("/v1/traces", payload, apiKey: null);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        using var dashboard = await graph.LoggedInAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await dashboard.SendAsync(sessionIsNotEnough, Cancellation)).StatusCode);
        Assert.Empty((await dashboard.GetFromJsonAsync<JsonElement>($"/api/traces?q={name}", Cancellation)).EnumerateArray());
    }

    [Fact]
    public async Task A_posted_otlp_trace_shows_up_as_a_tree_with_its_attributes()
    {
        using var client = graph.Anonymous();
        var traceId = RandomNumberGenerator.GetBytes(16);
        var (parent, child) = (RandomNumberGenerator.GetBytes(8), RandomNumberGenerator.GetBytes(8));
        var start = DateTimeOffset.UtcNow;
        var payload = Otlp.Traces(
            "otlp-test",
            Otlp.Span(traceId, child, parent, "SELECT appointments", start.AddMilliseconds(2), TimeSpan.FromMilliseconds(6), Otlp.Attribute("db.system.name", "postgresql")),
            Otlp.Span(traceId, parent, null, "GET /api/v1/appointments", start, TimeSpan.FromMilliseconds(10), Otlp.Attribute("http.response.status_code", 200)));

        using var response = await client.SendAsync(Otlp.Post("/v1/traces", payload, graph.Dashboard.Auth.OtlpApiKey), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancellation)).PartialSuccess);
        using var dashboard = await graph.LoggedInAsync();
        var trace = await dashboard.GetFromJsonAsync<JsonElement>($"/api/traces/{Convert.ToHexStringLower(traceId)}", Cancellation);
        Assert.Equal("GET /api/v1/appointments", trace.GetProperty("summary").GetProperty("name").GetString());
        Assert.Equal(10, trace.GetProperty("summary").GetProperty("durationMs").GetDouble(), precision: 3);
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(["GET /api/v1/appointments", "SELECT appointments"], spans.Select(s => s.GetProperty("span").GetProperty("name").GetString()));
        Assert.Equal([0, 1], spans.Select(s => s.GetProperty("depth").GetInt32()));
        Assert.Equal(2, spans[1].GetProperty("offsetMs").GetDouble(), precision: 3);
        Assert.Contains(spans[0].GetProperty("span").GetProperty("attributes").EnumerateArray(),
            a => a.GetProperty("key").GetString() == "http.response.status_code" && a.GetProperty("value").GetString() == "200");
    }

    [Fact]
    public async Task A_posted_otlp_log_record_shows_up_with_its_attributes_and_level()
    {
        using var client = graph.Anonymous();
        var marker = Guid.NewGuid().ToString("N");
        var payload = Otlp.Log("otlp-test", "MenoTime.Worker.Reminders", $"Reminder {marker} sent", SeverityNumber.Warn, Otlp.Attribute("reminder.kind", "appointment"));

        using var response = await client.SendAsync(Otlp.Post("/v1/logs", payload, graph.Dashboard.Auth.OtlpApiKey), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var dashboard = await graph.LoggedInAsync();
        var log = Assert.Single((await dashboard.GetFromJsonAsync<JsonElement>($"/api/logs?service=otlp-test&severity=warn&q={marker}", Cancellation)).EnumerateArray());
        Assert.Equal("warn", log.GetProperty("severity").GetString());
        Assert.Equal("MenoTime.Worker.Reminders", log.GetProperty("category").GetString());
        Assert.Equal("appointment", log.GetProperty("attributes")[0].GetProperty("value").GetString());
        Assert.Empty((await dashboard.GetFromJsonAsync<JsonElement>($"/api/logs?service=otlp-test&severity=error&q={marker}", Cancellation)).EnumerateArray());
    }

    [Fact]
    public async Task Posted_otlp_metrics_become_request_rate_latency_errors_and_counters()
    {
        using var client = graph.Anonymous();
        var service = $"metrics-{Guid.NewGuid():N}"[..20];
        var (t0, t1) = (DateTimeOffset.UtcNow.AddSeconds(-10), DateTimeOffset.UtcNow);
        // Cumulative, as the .NET SDK exports: 20 requests in 10 s, all under 5 ms except 2 failures; 3 reminders.
        Metric Requests(DateTimeOffset time, ulong ok, ulong failed) => new()
        {
            Name = "http.server.request.duration",
            Unit = "s",
            Histogram = new Histogram
            {
                AggregationTemporality = AggregationTemporality.Cumulative,
                DataPoints =
                {
                    new HistogramDataPoint { TimeUnixNano = Otlp.UnixNano(time), Count = ok, Sum = ok * 0.002, ExplicitBounds = { 0.005, 0.01 }, BucketCounts = { ok, 0, 0 }, Attributes = { Otlp.Attribute("http.response.status_code", 200) } },
                    new HistogramDataPoint { TimeUnixNano = Otlp.UnixNano(time), Count = failed, Sum = failed * 0.002, ExplicitBounds = { 0.005, 0.01 }, BucketCounts = { failed, 0, 0 }, Attributes = { Otlp.Attribute("http.response.status_code", 500), Otlp.Attribute("error.type", "500") } },
                },
            },
        };
        Metric Reminders(DateTimeOffset time, long sent) => new()
        {
            Name = "menotime.reminders.sent",
            Unit = "{reminder}",
            Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true, DataPoints = { new NumberDataPoint { TimeUnixNano = Otlp.UnixNano(time), AsInt = sent } } },
        };

        foreach (var (time, ok, failed, sent) in new[] { (t0, 0UL, 0UL, 0L), (t1, 18UL, 2UL, 3L) })
        {
            using var hosting = await client.SendAsync(Otlp.Post("/v1/metrics", Otlp.Metrics(service, "Microsoft.AspNetCore.Hosting", Requests(time, ok, failed)), graph.Dashboard.Auth.OtlpApiKey), Cancellation);
            using var own = await client.SendAsync(Otlp.Post("/v1/metrics", Otlp.Metrics(service, "MenoTime", Reminders(time, sent)), graph.Dashboard.Auth.OtlpApiKey), Cancellation);
            Assert.Equal(HttpStatusCode.OK, hosting.StatusCode);
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using var dashboard = await graph.LoggedInAsync();
        var overview = await dashboard.GetFromJsonAsync<JsonElement>("/api/metrics", Cancellation);
        var metrics = overview.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("service").GetString() == service);
        Assert.Equal(2.0, metrics.GetProperty("requestsPerSecond").GetDouble(), precision: 3);
        Assert.Equal(2UL, metrics.GetProperty("errors").GetUInt64());
        Assert.Equal(2.5, metrics.GetProperty("p50Ms").GetDouble(), precision: 3); // half-way into the 0–5 ms bucket
        var reminders = Assert.Single(metrics.GetProperty("counters").EnumerateArray());
        Assert.Equal("menotime.reminders.sent", reminders.GetProperty("name").GetString());
        Assert.Equal(3, reminders.GetProperty("total").GetDouble());
        Assert.Equal(0.3, reminders.GetProperty("perSecond").GetDouble(), precision: 3);
    }

    [Theory]
    [InlineData("application/json", "{}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-protobuf", "\u0001\u0002not protobuf", HttpStatusCode.BadRequest)]
    public async Task Otlp_that_is_not_protobuf_gets_a_problem_and_changes_nothing(string contentType, string body, HttpStatusCode expected)
    {
        using var client = graph.Anonymous();
        using var dashboard = await graph.LoggedInAsync();
        var before = (await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry", Cancellation)).GetProperty("spans").GetProperty("kept").GetInt32();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = new StringContent(body, System.Text.Encoding.UTF8, contentType) };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.Add(DashboardAuth.ApiKeyHeader, graph.Dashboard.Auth.OtlpApiKey);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var after = (await dashboard.GetFromJsonAsync<JsonElement>("/api/telemetry", Cancellation)).GetProperty("spans").GetProperty("kept").GetInt32();
        Assert.True(after >= before, "nothing was removed"); // the services keep sending their own spans meanwhile
    }

    [Fact]
    public async Task Services_get_the_otlp_endpoint_and_key_and_the_dashboard_shows_their_secrets_masked()
    {
        var api = Assert.Single(graph.App.GetInstances(graph.App.GetResource("api")));
        Assert.Equal(graph.Dashboard.Url.ToString().TrimEnd('/'), api.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", api.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal($"x-otlp-api-key={graph.Dashboard.Auth.OtlpApiKey}", api.Environment["OTEL_EXPORTER_OTLP_HEADERS"]);
        var password = new Npgsql.NpgsqlConnectionStringBuilder(graph.App.GetConnectionString("menotime")).Password!;
        using var dashboard = await graph.LoggedInAsync();

        var json = await dashboard.GetStringAsync("/api/resources", Cancellation);

        Assert.DoesNotContain(password, json, StringComparison.Ordinal);
        Assert.DoesNotContain(graph.Dashboard.Auth.OtlpApiKey, json, StringComparison.Ordinal);
        var environment = JsonDocument.Parse(json).RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "api")
            .GetProperty("instances")[0].GetProperty("environment").EnumerateArray()
            .ToDictionary(v => v.GetProperty("key").GetString()!, v => v.GetProperty("value").GetString()!);
        Assert.Contains($"Password={SecretMasker.Mask}", environment["ConnectionStrings__menotime"], StringComparison.Ordinal);
        Assert.Contains("Database=menotime", environment["ConnectionStrings__menotime"], StringComparison.Ordinal);
        Assert.Equal($"x-otlp-api-key={SecretMasker.Mask}", environment["OTEL_EXPORTER_OTLP_HEADERS"]);
        Assert.Equal("api", environment["OTEL_SERVICE_NAME"]);
    }

    [Fact]
    public async Task Restart_and_stop_refuse_what_they_cannot_do_with_a_problem()
    {
        using var dashboard = await graph.LoggedInAsync();

        using var unknown = await dashboard.PostAsync("/api/instances/nobody/restart", null, Cancellation);
        using var database = await dashboard.PostAsync("/api/instances/menotime/stop", null, Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, database.StatusCode);
        Assert.Equal("application/problem+json", database.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no process of its own", await database.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }
}
