using MenoTime.Data.Notifications;

namespace MenoTime.Api.Features.Email;

/// <summary>Email feedback: the one-click opt-out link, and SES bounces and complaints through SNS.</summary>
public static class EmailEndpoints
{
    public static IHostApplicationBuilder AddEmailFeedback(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddSingleton(_ => new UnsubscribeToken(configuration["Email:UnsubscribeKey"]));
        builder.Services.AddSingleton<NotificationOutbox>();
        builder.Services.AddSingleton<SuppressionList>();
        builder.Services.AddSingleton<NotificationHistoryReader>();
        builder.Services.Configure<SnsOptions>(configuration.GetSection(SnsOptions.Section));

        Uri? testEndpoint = null;
        if (configuration[SnsClient.TestEndpointKey] is { Length: > 0 } endpoint)
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw new InvalidOperationException($"{SnsClient.TestEndpointKey} is for tests and is refused outside Development.");
            }

            testEndpoint = new Uri(endpoint);
        }

        // No redirects: a response from an SNS host must not lead anywhere else.
        builder.Services.AddHttpClient(SnsClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddSingleton(services => new SnsClient(services.GetRequiredService<IHttpClientFactory>(), testEndpoint));
        return builder;
    }

    public static void MapEmailEndpoints(this RouteGroupBuilder api)
    {
        var email = api.MapGroup("/email").WithTags("Email");
        email.MapUnsubscribeEndpoints();
        email.MapSesFeedbackEndpoints();
    }
}
