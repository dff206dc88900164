using System.Net;
using System.Text.Json;
using MenoTime.IntegrationTests.Clinical;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

/// <summary>
/// Every endpoint of the API (from its own OpenAPI document) × every role × own patient / other patient,
/// plus no token and an ended session. The expectations below restate the access policy independently of
/// its implementation; an endpoint added later without a rule, or with a rule that does not behave, fails.
/// </summary>
public sealed class AuthorizationMatrixTests(MenoTimeGraph graph)
{
    private static readonly string[] RoleNames = ["patient", "provider", "supporter", "admin"];

    /// <summary>What each relationship may read and write in a patient's compartment (README, "Access").</summary>
    private static readonly Dictionary<string, (string[] Read, string[] Write)> Policy = new()
    {
        ["patient"] = (["Profile", "Appointments", "Questionnaires", "Symptoms", "Medications", "Notes", "Supporters", "Assignments", "AccessLog", "Notifications"],
                       ["Profile", "Appointments", "Questionnaires", "Symptoms", "Medications", "Supporters"]),
        ["provider"] = (["Profile", "Appointments", "Questionnaires", "Symptoms", "Medications", "Notes", "Assignments"],
                        ["Profile", "Appointments", "Questionnaires", "Symptoms", "Medications", "Notes"]),
        ["supporter"] = (["Profile", "Appointments", "Questionnaires", "Symptoms", "Medications"], []),
        ["admin"] = (["Profile", "Appointments", "Supporters", "Assignments", "AccessLog", "Notifications"], ["Profile", "Appointments", "Supporters", "Assignments"]),
    };

    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Every_endpoint_declares_an_access_rule_and_an_audit_resource()
    {
        var surface = await ApiSurface.LoadAsync(_clinic);

        Assert.Empty(surface.Operations.Where(o => o.Kind == "none").Select(o => o.ToString()));
        Assert.True(surface.Operations.Count >= 40, $"{surface.Operations.Count} operations");
    }

    [Fact]
    public async Task Every_endpoint_answers_every_role_as_the_policy_says()
    {
        var surface = await ApiSurface.LoadAsync(_clinic);
        await surface.BuildWorldAsync(_clinic);
        var clients = new Dictionary<string, HttpClient>
        {
            ["patient"] = surface.Patient.Client,
            ["provider"] = surface.Provider.Client,
            ["supporter"] = await _clinic.ClientAsync(surface.SupporterSubject, "supporter"),
            ["admin"] = await _clinic.AdminAsync(),
        };
        var subjects = new Dictionary<string, string> { ["patient"] = surface.Patient.Subject, ["provider"] = surface.Provider.Subject, ["supporter"] = surface.SupporterSubject };
        var failures = new List<string>();
        var cases = 0;

        // Logout ends the session it is sent with: it runs last, so the other cases keep theirs.
        foreach (var operation in surface.Operations.OrderBy(o => o.Path.EndsWith("/logout", StringComparison.Ordinal)))
        {
            foreach (var role in RoleNames)
            {
                foreach (var (targetName, target) in new[] { ("own", surface.Own), ("other", surface.Other) })
                {
                    var client = operation.Path.EndsWith("/logout", StringComparison.Ordinal)
                        ? await _clinic.ClientAsync(subjects.GetValueOrDefault(role, $"admin-{Guid.NewGuid():N}"), role)
                        : clients[role];
                    using var request = ApiSurface.Request(operation, target);
                    using var response = await client.SendAsync(request, Cancellation);
                    var body = await response.Content.ReadAsStringAsync(Cancellation);
                    cases++;
                    var (allowed, deniedStatus) = Expected(operation, role, targetName);
                    var status = (int)response.StatusCode;
                    var deniedAsPolicySays = status == deniedStatus && (deniedStatus != 404 || IsDenial(body));
                    if (status >= 500 || (allowed ? status is 401 or 403 || (status == 404 && IsDenial(body)) : !deniedAsPolicySays))
                    {
                        failures.Add($"{operation} as {role} on {targetName} patient: expected {(allowed ? "allowed" : $"denied {deniedStatus}")}, got {status} {Shorten(body)}");
                    }
                }
            }

            // Without a token, and with a session that has ended.
            using (var anonymous = ApiSurface.Request(operation, surface.Own))
            {
                var status = (int)(await _clinic.Anonymous.SendAsync(anonymous, Cancellation)).StatusCode;
                cases++;
                if (operation.Kind == "anonymous" ? status is 401 or 403 or >= 500 : status != 401)
                {
                    failures.Add($"{operation} without a token: got {status}");
                }
            }

            if (operation.Kind != "anonymous")
            {
                using var ended = await _clinic.ClientAsync($"patient-{Guid.NewGuid():N}", "patient");
                (await ended.PostAsync("/api/v1/sessions/logout", null, Cancellation)).EnsureSuccessStatusCode();
                using var request = ApiSurface.Request(operation, surface.Own);
                using var response = await ended.SendAsync(request, Cancellation);
                cases++;
                if (response.StatusCode != HttpStatusCode.Unauthorized || !(await response.Content.ReadAsStringAsync(Cancellation)).Contains("/problems/session-ended", StringComparison.Ordinal))
                {
                    failures.Add($"{operation} with an ended session: got {(int)response.StatusCode}");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"authorization matrix: {surface.Operations.Count} endpoints × {RoleNames.Length} roles × 2 patients + no token + ended session = {cases} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases broke the policy:\n{string.Join('\n', failures)}");
    }

    /// <summary>Whether the role may pass, and if not, the status it must get (404 for records, 403 for roles).</summary>
    private static (bool Allowed, int DeniedStatus) Expected(Operation operation, string role, string target)
    {
        var access = operation.Access;
        switch (operation.Kind)
        {
            case "anonymous":
                return (true, 0);
            case "patient":
                var data = access.GetProperty("data").GetString()!;
                var mode = access.GetProperty("mode").GetString()!;
                var (read, write) = Policy[role];
                var related = role == "admin" || target == "own";
                return (related && (mode == "Read" ? read : write).Contains(data), 404);
            case "roles" when operation.Path == "/api/v1/notifications":
                // A patient's notifications (?patientId=): the patient's own and any for an admin; other roles are
                // refused at the door.
                return Policy[role].Read.Contains("Notifications") ? (role == "admin" || target == "own", 404) : (false, 403);
            default:
                var roles = access.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ToList();
                if (!roles.Contains(role))
                {
                    return (false, 403);
                }

                // Row-level rules behind a role gate: appointments go through the patient's compartment,
                // availability is the provider's own (or an admin's).
                if (operation.Path.StartsWith("/api/v1/appointments", StringComparison.Ordinal) && operation.Method != "POST")
                {
                    return (role == "admin" || target == "own", 404);
                }

                if (operation.Path.EndsWith("/availability", StringComparison.Ordinal))
                {
                    return (role == "admin" || target == "own", 404);
                }

                return (true, 0);
        }
    }

    /// <summary>A 404 that means "no such record, or not yours" (as opposed to a missing sub-record).</summary>
    private static bool IsDenial(string body)
    {
        try
        {
            var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? "";
            return detail.StartsWith("No patient ", StringComparison.Ordinal)
                   || detail.StartsWith("No appointment ", StringComparison.Ordinal)
                   || detail.StartsWith("No provider ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Shorten(string body) => body.Length <= 200 ? body : body[..200];
}
