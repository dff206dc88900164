using System.Net.Sockets;

namespace MenoTime.AppHost.Hosting;

/// <summary>Healthy when GET {endpoint}{path} answers 200, as the ALB target group checks in AWS.</summary>
public sealed class HttpHealthProbe(string endpointName, string path) : IHealthProbe
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public string EndpointName { get; } = endpointName;

    public string Path { get; } = path;

    public async Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken)
    {
        var url = new Uri(instance.GetUrl(EndpointName), Path);
        try
        {
            using var response = await Client.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthResult.Healthy()
                : HealthResult.Unhealthy($"GET {Path} answered {(int)response.StatusCode}: {await ReadShortAsync(response, cancellationToken)}");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException)
        {
            return HealthResult.Unhealthy($"nothing answers on {url.Authority} yet");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthResult.Unhealthy($"GET {Path} failed: {e.Message}");
        }
    }

    private static async Task<string> ReadShortAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return body.Length <= 300 ? body : body[..300] + "…";
    }
}
