using System.Net;
using System.Text;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>SES bounces and complaints through SNS: signature, topic and URL checks, and the suppression list.</summary>
public sealed class SesFeedbackTests(MenoTimeGraph graph) : IAsyncLifetime
{
    private const string Endpoint = "/api/v1/email/ses-notifications";
    private ReminderStore _store = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _store = new ReminderStore(graph.App);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Fact]
    public async Task A_permanent_bounce_signed_with_version_2_suppresses_the_address_and_the_worker_sends_it_nothing()
    {
        var bounced = ReminderStore.NewAddress("bounced");

        using var response = await PostAsync(graph.Sns.Notification(Bounce(bounced, "Permanent"), signatureVersion: "2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["bounce"], await _store.SuppressionReasonsAsync(bounced, Cancellation));
        var request = _store.Appointment(bounced);
        await _store.Outbox.EnqueueAsync(request, Cancellation);
        var row = await _store.WaitForAsync(request, r => r.Status != "queued", TimeSpan.FromSeconds(60), Cancellation);
        Assert.Equal("suppressed", row.Status);
        Assert.DoesNotContain(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => t.Address == bounced));
    }

    [Fact]
    public async Task A_complaint_signed_with_version_1_suppresses_the_address()
    {
        var complainer = ReminderStore.NewAddress("complaint");
        var complaint = new
        {
            notificationType = "Complaint",
            complaint = new { complainedRecipients = new[] { new { emailAddress = complainer } }, complaintFeedbackType = "abuse" },
            mail = new { messageId = "0100018c-test" },
        };

        using var response = await PostAsync(graph.Sns.Notification(complaint, signatureVersion: "1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["complaint"], await _store.SuppressionReasonsAsync(complainer, Cancellation));
    }

    [Fact]
    public async Task A_transient_bounce_suppresses_nothing()
    {
        var address = ReminderStore.NewAddress("transient");

        using var response = await PostAsync(graph.Sns.Notification(Bounce(address, "Transient")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await _store.SuppressionReasonsAsync(address, Cancellation));
    }

    [Fact]
    public async Task A_message_altered_after_signing_is_refused_and_changes_nothing()
    {
        var victim = ReminderStore.NewAddress("victim");
        var genuine = graph.Sns.Notification(Bounce(ReminderStore.NewAddress("genuine"), "Permanent"));
        var altered = genuine.Replace("@example.test", "-x@example.test", StringComparison.Ordinal);
        var forged = graph.Sns.Notification(Bounce(victim, "Permanent")).Replace("\"Signature\":\"", "\"Signature\":\"AAAA", StringComparison.Ordinal);

        using var first = await PostAsync(altered);
        using var second = await PostAsync(forged);

        await AssertProblemAsync(first, HttpStatusCode.Forbidden);
        await AssertProblemAsync(second, HttpStatusCode.Forbidden);
        Assert.Empty(await _store.SuppressionReasonsAsync(victim, Cancellation));
    }

    [Theory]
    [InlineData("https://evil.example.com/SimpleNotificationService-a.pem")]
    [InlineData("http://sns.eu-central-1.amazonaws.com/SimpleNotificationService-b.pem")]
    [InlineData("https://sns.eu-central-1.amazonaws.com.evil.example/SimpleNotificationService-c.pem")]
    [InlineData("https://sns.eu-central-1.amazonaws.com:8443/SimpleNotificationService-d.pem")]
    [InlineData("https://user@sns.eu-central-1.amazonaws.com/SimpleNotificationService-e.pem")]
    public async Task A_signing_certificate_outside_SNS_is_refused_without_being_fetched(string certificateUrl)
    {
        var address = ReminderStore.NewAddress("cert");

        using var response = await PostAsync(graph.Sns.Notification(Bounce(address, "Permanent"), certificateUrl: certificateUrl));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain(graph.Sns.Requests, r => r.Contains(new Uri(certificateUrl).AbsolutePath, StringComparison.Ordinal));
        Assert.Empty(await _store.SuppressionReasonsAsync(address, Cancellation));
    }

    [Fact]
    public async Task A_message_from_a_topic_not_configured_is_refused()
    {
        var address = ReminderStore.NewAddress("topic");

        using var response = await PostAsync(graph.Sns.Notification(Bounce(address, "Permanent"), topicArn: "arn:aws:sns:eu-central-1:999999999999:other"));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Empty(await _store.SuppressionReasonsAsync(address, Cancellation));
    }

    [Fact]
    public async Task A_subscription_confirmation_visits_its_SNS_SubscribeURL_and_no_other()
    {
        var token = Guid.NewGuid().ToString("N");
        var subscribe = $"https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={SnsStandIn.TopicArn}&Token={token}";
        var elsewhere = Guid.NewGuid().ToString("N");

        using var confirmed = await PostAsync(graph.Sns.SubscriptionConfirmation(subscribe, token));
        using var refused = await PostAsync(graph.Sns.SubscriptionConfirmation($"https://example.com/{elsewhere}?Token={token}", elsewhere));

        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Contains(graph.Sns.Requests, r => r == new Uri(subscribe).PathAndQuery);
        await AssertProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.DoesNotContain(graph.Sns.Requests, r => r.Contains(elsewhere, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"Type\":\"Notification\"}")]
    public async Task A_body_that_is_not_an_SNS_message_is_a_problem(string body)
    {
        using var response = await PostAsync(body);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden, response.StatusCode.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static object Bounce(string address, string type) => new
    {
        notificationType = "Bounce",
        bounce = new { bounceType = type, bouncedRecipients = new[] { new { emailAddress = address, status = "5.1.1" } } },
        mail = new { messageId = "0100018c-test" },
    };

    /// <summary>SNS posts its JSON as text/plain.</summary>
    private Task<HttpResponseMessage> PostAsync(string body) =>
        graph.Api.PostAsync(Endpoint, new StringContent(body, Encoding.UTF8, "text/plain"), Cancellation);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"status\":{(int)status}", await response.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }
}
