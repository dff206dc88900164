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

    /// <summary>The message exactly as the sink received it.</summary>
    public Task<string> GetSourceAsync(string id, CancellationToken cancellationToken = default) =>
        http.GetStringAsync($"api/email/{Uri.EscapeDataString(id)}/source", cancellationToken);

    /// <summary>
    /// The message's headers as received, unfolded, by name (case-insensitive; the first of repeated ones).
    /// MailDev's JSON leaves some out (List-Unsubscribe, List-Unsubscribe-Post), so read them here.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> GetHeadersAsync(string id, CancellationToken cancellationToken = default)
    {
        var source = await GetSourceAsync(id, cancellationToken);
        var end = source.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var block = (end < 0 ? source : source[..end]).Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", " ", StringComparison.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in block.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.TryAdd(line[..colon], line[(colon + 1)..].Trim());
            }
        }

        return headers;
    }

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
