using System.Net;
using System.Text;
using System.Text.Json;
using MenoTime.IntegrationTests.Clinical;
using Npgsql;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

/// <summary>
/// Every request body of the API, hostile: malformed JSON, wrong types, unknown fields, huge strings,
/// an oversized body, deep nesting, control characters: never a 5xx, always a 4xx, and nothing changes.
/// Then SQL and script fragments as field values: never a 5xx, and where they are acceptable text (a note,
/// a reason) they are stored verbatim, not executed.
/// </summary>
public sealed class FuzzTests(MenoTimeGraph graph)
{
    private static readonly string[] Malformed = ["{", "{\"a\":", "[1,2", "nul", "\"unterminated", "{\"a\" 1}", "", "{}{}", "{\"a\":01}", "\u0000", "{'single': 'quotes'}"];
    private static readonly string[] Fragments = ["'; DROP TABLE patients; --", "\" OR 1=1 --", "<script>alert(1)</script>", "${jndi:ldap://x}", "../../etc/passwd", "%00", "\\u0000"];

    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Hostile_bodies_never_cause_a_5xx_or_a_change()
    {
        var surface = await ApiSurface.LoadAsync(_clinic);
        await surface.BuildWorldAsync(_clinic);
        var clients = new Dictionary<string, HttpClient>
        {
            ["patient"] = surface.Patient.Client,
            ["provider"] = surface.Provider.Client,
            ["admin"] = await _clinic.AdminAsync(),
        };
        var before = await FingerprintAsync(surface);
        var failures = new List<string>();
        var cases = 0;

        foreach (var operation in surface.Operations.Where(o => o.HasBody))
        {
            // Session endpoints allow 10 requests a minute per subject: give each hostile body a provider of its own there.
            var rateLimited = operation.Path.EndsWith("/emergency-access", StringComparison.Ordinal);
            var role = RoleThatMayWrite(operation);
            async Task<HttpClient> ClientAsync() => rateLimited ? (await _clinic.NewProviderAsync()).Client : clients[role];
            var properties = Properties(surface, operation.RequestSchema!.Value);
            var bodies = new List<(string Kind, string Body, bool Must4xx)>();
            bodies.AddRange(Malformed.Select(m => ("malformed", m, true)));
            bodies.Add(("deep nesting", new string('[', 200) + new string(']', 200), true));
            bodies.Add(("unknown field", "{\"__proto__\": {\"admin\": true}}", true));
            foreach (var property in properties)
            {
                bodies.Add(("wrong type", Json(property, new { unexpected = true }), true));
                bodies.Add(("overflow", $"{{\"{property}\": 1.5e308}}", true));
                bodies.Add(("huge string", Json(property, new string('x', 300_000)), true));
                bodies.Add(("control characters", Json(property, "a\u0000b\u0007c\u001b[31m"), true));
            }

            foreach (var (kind, body, must4xx) in bodies)
            {
                var status = await SendAsync(await ClientAsync(), operation, surface, new StringContent(body, Encoding.UTF8, "application/json"));
                cases++;
                if (status >= 500 || (must4xx && status is < 400 or >= 500))
                {
                    failures.Add($"{operation} with {kind} {Shorten(body)}: {status}");
                }
            }

            // Larger than the 1 MB limit, and not JSON at all.
            var oversized = await SendAsync(await ClientAsync(), operation, surface, new StringContent($"{{\"x\":\"{new string('x', 1_200_000)}\"}}", Encoding.UTF8, "application/json"));
            var notJson = await SendAsync(await ClientAsync(), operation, surface, new StringContent("givenName=Ann", Encoding.UTF8, "application/x-www-form-urlencoded"));
            cases += 2;
            if (oversized != 413)
            {
                failures.Add($"{operation} with an oversized body: {oversized}");
            }

            if (notJson is < 400 or >= 500)
            {
                failures.Add($"{operation} with a form body: {notJson}");
            }
        }

        var after = await FingerprintAsync(surface);

        // Injection attempts as values: refused or stored as the text they are.
        var stored = 0;
        foreach (var operation in surface.Operations.Where(o => o.HasBody))
        {
            foreach (var property in Properties(surface, operation.RequestSchema!.Value))
            {
                foreach (var fragment in Fragments)
                {
                    var client = operation.Path.EndsWith("/emergency-access", StringComparison.Ordinal) ? (await _clinic.NewProviderAsync()).Client : clients[RoleThatMayWrite(operation)];
                    using var request = ApiSurface.Request(operation, surface.Own, new StringContent(Json(property, fragment), Encoding.UTF8, "application/json"));
                    using var response = await client.SendAsync(request, Cancellation);
                    cases++;
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{operation} with {property} = {fragment}: {(int)response.StatusCode}");
                    }
                    else if (response.IsSuccessStatusCode && operation.Path.EndsWith("/notes", StringComparison.Ordinal))
                    {
                        stored++;
                        var note = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation)).RootElement;
                        using var read = await client.GetAsync($"/api/v1/patients/{surface.Patient.Id}/notes/{note.GetProperty("id").GetString()}", Cancellation);
                        var content = JsonDocument.Parse(await read.Content.ReadAsStringAsync(Cancellation)).RootElement.GetProperty("content").GetString();
                        Assert.Equal(fragment, content);
                    }
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz: {cases} hostile requests over {surface.Operations.Count(o => o.HasBody)} request bodies, 0 5xx expected; {stored} fragments stored verbatim as note text");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases:\n{string.Join('\n', failures)}");
        Assert.Equal(before, after);
        Assert.True(stored > 0, "a note may say anything, fragments included");
        await Expect(HttpStatusCode.OK, await surface.Patient.Client.GetAsync($"/api/v1/patients/{surface.Patient.Id}", Cancellation));
    }

    private static async Task<int> SendAsync(HttpClient client, Operation operation, ApiSurface surface, HttpContent content)
    {
        using var request = ApiSurface.Request(operation, surface.Own, content);
        // The server refuses an oversized body from its Content-Length alone; waiting for "100 Continue"
        // lets the client read that 413 instead of writing into a closed connection.
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request, Cancellation);
        return (int)response.StatusCode;
    }

    /// <summary>A role the operation's rule lets write to the own patient, so that hostile bodies get past the access check.</summary>
    private static string RoleThatMayWrite(Operation operation) => operation.Kind switch
    {
        "patient" => operation.Access.GetProperty("data").GetString() switch
        {
            "Notes" => "provider",
            "Assignments" => "admin",
            _ => "patient",
        },
        _ => operation.Access.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).First(r => r != "supporter"),
    };

    private static List<string> Properties(ApiSurface surface, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = surface.Components.GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        return schema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject().Select(p => p.Name).ToList() : [];
    }

    private static string Json(string property, object value) => JsonSerializer.Serialize(new Dictionary<string, object> { [property] = value });

    /// <summary>Row counts of everything the world's patient, provider and fuzzing could have touched.</summary>
    private async Task<string> FingerprintAsync(ApiSurface surface)
    {
        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("""
            SELECT concat_ws(',',
                (SELECT count(*) FROM patients),
                (SELECT count(*) FROM providers),
                (SELECT count(*) FROM appointments WHERE patient_id = $1),
                (SELECT count(*) FROM symptom_entries WHERE patient_id = $1),
                (SELECT count(*) FROM medications WHERE patient_id = $1),
                (SELECT count(*) FROM medication_doses WHERE patient_id = $1),
                (SELECT count(*) FROM questionnaire_responses WHERE patient_id = $1),
                (SELECT count(*) FROM clinical_notes WHERE patient_id = $1),
                (SELECT count(*) FROM clinical_note_versions v JOIN clinical_notes n ON n.id = v.note_id WHERE n.patient_id = $1),
                (SELECT count(*) FROM supporter_grants WHERE patient_id = $1),
                (SELECT count(*) FROM care_assignments WHERE patient_id = $1),
                (SELECT count(*) FROM provider_working_hours WHERE provider_id = $2),
                (SELECT count(*) FROM break_glass_grants WHERE patient_id = $1),
                (SELECT md5(string_agg(p::text, '')) FROM patients p WHERE id = $1))
            """, connection);
        command.Parameters.Add(new() { Value = surface.Patient.Id });
        command.Parameters.Add(new() { Value = surface.Provider.Id });
        // Other tests add patients and providers meanwhile: compare only this world's rows for those.
        var fingerprint = (string)(await command.ExecuteScalarAsync(Cancellation))!;
        return string.Join(',', fingerprint.Split(',').Skip(2));
    }

    private static string Shorten(string body) => body.Length <= 80 ? body : body[..80] + "…";
}
