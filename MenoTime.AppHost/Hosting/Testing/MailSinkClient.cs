using System.Net.Http.Json;
using System.Text.Json;

namespace MenoTime.AppHost.Hosting.Testing;

/// <summary>A message as MailDev's REST API shows it.</summary>
public sealed record SinkMessage(
    string Id,
    string Subject,
    string? Text,
    string? Html,
    IReadOnlyList<SinkAddress> From,
    IReadOnlyList<SinkAddress> To,
    DateTimeOffset Time,
    JsonElement Headers)
{
    /// <summary>A header's value (MailDev keys them in lower case), or null.</summary>
    public string? Header(string name) =>
        Headers.ValueKind == JsonValueKind.Object && Headers.TryGetProperty(name.ToLowerInvariant(), out var value)
            ? value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray()) : value.ToString()
            : null;
}

public sealed record SinkAddress(string Address, string? Name);

/// <summary>Reads and clears the mail sink (MailDev's REST API) from tests.</summary>
public sealed class MailSinkClient(HttpClient http) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<SinkMessage>> GetMessagesAsync(CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<SinkMessage>>("api/email", Json, cancellationToken) ?? [];

    public async Task DeleteAllAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.DeleteAsync("api/email/all", cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Polls until a message matches, or fails after <paramref name="timeout"/> listing what did arrive.</summary>
    public async Task<SinkMessage> WaitForMessageAsync(Func<SinkMessage, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IReadOnlyList<SinkMessage> messages = [];
        try
        {
            while (true)
            {
                messages = await GetMessagesAsync(deadline.Token);
                if (messages.FirstOrDefault(predicate) is { } match)
                {
                    return match;
                }

                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"No matching message within {timeout.TotalSeconds:F0} s; the sink holds {messages.Count}: " +
                string.Join("; ", messages.Select(m => $"'{m.Subject}' to {string.Join(",", m.To.Select(t => t.Address))}")));
        }
    }

    public void Dispose() => http.Dispose();
}
