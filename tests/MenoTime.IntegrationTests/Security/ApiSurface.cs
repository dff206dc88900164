using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MenoTime.IntegrationTests.Clinical;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

/// <summary>One operation of the API as its OpenAPI document describes it, with its declared access rule.</summary>
public sealed record Operation(string Method, string Path, JsonElement Access, JsonElement? RequestSchema, bool HasBody)
{
    public string Kind => Access.GetProperty("kind").GetString()!;

    public override string ToString() => $"{Method} {Path}";
}

/// <summary>
/// The API's own list of endpoints (from /openapi/v1.json), and a small world to aim requests at: an own
/// patient P (with a provider R assigned by booking, a supporter S granted every scope, and records of every
/// kind) and another patient Q with the same set under another provider.
/// </summary>
public sealed class ApiSurface
{
    private ApiSurface(IReadOnlyList<Operation> operations, JsonElement components) => (Operations, Components) = (operations, components);

    public IReadOnlyList<Operation> Operations { get; }

    public JsonElement Components { get; }

    public Dictionary<string, string> Own { get; } = [];

    public Dictionary<string, string> Other { get; } = [];

    public Party Patient { get; private set; } = null!;

    public Party Provider { get; private set; } = null!;

    public string SupporterSubject { get; } = $"supporter-{Guid.NewGuid():N}";

    public static async Task<ApiSurface> LoadAsync(Clinic clinic)
    {
        var document = await Expect(HttpStatusCode.OK, await clinic.Anonymous.GetAsync("/openapi/v1.json", Cancellation));
        var operations = new List<Operation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var access = operation.Value.TryGetProperty("x-menotime-access", out var rule) ? rule : JsonDocument.Parse("{\"kind\":\"none\"}").RootElement;
                JsonElement? schema = operation.Value.TryGetProperty("requestBody", out var body)
                    ? body.GetProperty("content").EnumerateObject().First().Value.GetProperty("schema")
                    : null;
                operations.Add(new Operation(operation.Name.ToUpperInvariant(), path.Name, access, schema, schema is not null));
            }
        }

        return new ApiSurface(operations, document.GetProperty("components"));
    }

    public async Task BuildWorldAsync(Clinic clinic)
    {
        Patient = await clinic.NewPatientAsync();
        Provider = await clinic.NewProviderAsync();
        await FillAsync(clinic, Patient, Provider, Own, SupporterSubject);
        var other = await clinic.NewPatientAsync();
        var otherProvider = await clinic.NewProviderAsync();
        await FillAsync(clinic, other, otherProvider, Other, $"supporter-{Guid.NewGuid():N}");
    }

    /// <summary>The request for an operation against a target: route values filled, an empty JSON body if it takes one.</summary>
    public static HttpRequestMessage Request(Operation operation, IReadOnlyDictionary<string, string> target, HttpContent? body = null)
    {
        var path = operation.Path;
        foreach (var (name, value) in target)
        {
            path = path.Replace($"{{{name}}}", value, StringComparison.Ordinal);
        }

        // Removals aim at ids that do not exist, so the matrix never dismantles its own world.
        if (operation.Method == "DELETE" && (path.Contains("/assignments/", StringComparison.Ordinal) || path.Contains("/supporter-grants/", StringComparison.Ordinal)))
        {
            path = path[..(path.LastIndexOf('/') + 1)] + Guid.NewGuid();
        }

        if (operation.Method == "GET" && operation.Path is "/api/v1/appointments" or "/api/v1/notifications")
        {
            path += $"?patientId={target["patientId"]}";
        }

        var request = new HttpRequestMessage(new HttpMethod(operation.Method), path);
        request.Content = body ?? (operation.HasBody ? JsonContent.Create(new { }) : null);
        return request;
    }

    private static async Task FillAsync(Clinic clinic, Party patient, Party provider, Dictionary<string, string> ids, string supporterSubject)
    {
        var p = $"/api/v1/patients/{patient.Id}";
        var appointment = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(4) }, Cancellation));
        var note = await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync($"{p}/notes", new { content = "Shared note.", sharedWithPatient = true }, Cancellation));
        var medication = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{p}/medications", new
        {
            drug = "Estradiol", dose = 1, unit = "mg", route = "oral", schedule = new { times = new[] { "08:00" }, days = new[] { 1 } }, startDate = "2026-12-01",
        }, Cancellation));
        var response = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{p}/questionnaires/mrs", new { answers = new int[11] }, Cancellation));
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{p}/symptoms", new { code = "mood", severity = 2, occurredAt = DateTimeOffset.UtcNow }, Cancellation));
        var grant = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{p}/supporter-grants",
            new { supporterSubject, scopes = new[] { "appointments", "questionnaires", "symptoms", "medications" }, expiresAt = DateTimeOffset.UtcNow.AddDays(7) }, Cancellation));
        ids["patientId"] = patient.Id.ToString();
        ids["providerId"] = provider.Id.ToString();
        ids["appointmentId"] = appointment.GetProperty("id").GetString()!;
        ids["noteId"] = note.GetProperty("id").GetString()!;
        ids["medicationId"] = medication.GetProperty("id").GetString()!;
        ids["responseId"] = response.GetProperty("id").GetString()!;
        ids["grantId"] = grant.GetProperty("id").GetString()!;
        ids["instrument"] = "mrs";
    }
}
