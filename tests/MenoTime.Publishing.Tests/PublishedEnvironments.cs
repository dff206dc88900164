using System.Diagnostics;
using System.Text.Json.Nodes;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.AppHost.Publishing;

[assembly: AssemblyFixture(typeof(MenoTime.Publishing.Tests.PublishedEnvironments))]

namespace MenoTime.Publishing.Tests;

/// <summary>
/// dev, staging and prod published once for the whole test assembly, from the AppHost's own Program in publish
/// mode (the model developers run), with Amazon.CDK.Lib. Tests read the templates; none synthesizes again.
/// </summary>
public sealed class PublishedEnvironments : IAsyncLifetime
{
    private readonly Dictionary<string, Published> _environments = new(StringComparer.Ordinal);

    public static TheoryData<string> Names => new(EnvironmentProfile.All.Select(p => p.Name));

    public string OutputRoot { get; } = Path.Combine(Path.GetTempPath(), $"menotime-publish-{Guid.NewGuid():N}");

    /// <summary>Seconds each synthesis took, for the report.</summary>
    public Dictionary<string, double> SynthSeconds { get; } = new(StringComparer.Ordinal);

    public Published this[string environment] => _environments[environment];

    public async ValueTask InitializeAsync()
    {
        foreach (var profile in EnvironmentProfile.All)
        {
            var clock = Stopwatch.StartNew();
            var model = await DistributedApplicationTestingBuilder.CreateAsync(["publish", "--environment", profile.Name]);
            await using (model)
            {
                var result = Publisher.Synthesize(model, profile, Path.Combine(OutputRoot, profile.Name));
                _environments[profile.Name] = new Published(profile, result, Template.Load(result.EnvironmentTemplatePath), Template.Load(result.SharedTemplatePath));
            }

            SynthSeconds[profile.Name] = clock.Elapsed.TotalSeconds;
        }

        TestContext.Current.SendDiagnosticMessage($"synth seconds: {string.Join(", ", SynthSeconds.Select(s => $"{s.Key} {s.Value:F1}"))}");
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(OutputRoot, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed record Published(EnvironmentProfile Profile, PublishResult Result, Template Environment, Template Shared);

/// <summary>A synthesized CloudFormation template, read as JSON.</summary>
public sealed class Template(string path, JsonObject root)
{
    public string Path { get; } = path;

    public JsonObject Root { get; } = root;

    public JsonObject Resources => Root[nameof(Resources)]!.AsObject();

    public static Template Load(string path) => new(path, JsonNode.Parse(File.ReadAllText(path))!.AsObject());

    public IEnumerable<Resource> OfType(string type) =>
        Resources.Where(r => (string?)r.Value!["Type"] == type).Select(r => new Resource(r.Key, r.Value!.AsObject()));

    public Resource One(string type) => Assert.Single(OfType(type));

    public Resource Get(string logicalId) => new(logicalId, Resources[logicalId]!.AsObject());

    /// <summary>The resource of <paramref name="type"/> whose logical id starts with <paramref name="prefix"/> (CDK adds a hash).</summary>
    public Resource Named(string type, string prefix) => Assert.Single(OfType(type), r => r.Id.StartsWith(prefix, StringComparison.Ordinal));

    public JsonObject Outputs => Root[nameof(Outputs)]!.AsObject();
}

public sealed record Resource(string Id, JsonObject Json)
{
    public string Type => (string)Json[nameof(Type)]!;

    public JsonObject Properties => Json[nameof(Properties)]?.AsObject() ?? [];

    public JsonNode? this[string path] => path.Split('.').Aggregate<string, JsonNode?>(Properties, (node, key) => node?[key]);

    /// <summary>The tags of the resource, from <paramref name="property"/> (Tags, or UserPoolTags, BackupVaultTags…).</summary>
    public IReadOnlyDictionary<string, string> TagsIn(string property) =>
        Properties[property] switch
        {
            JsonArray list => list.Where(t => t!["Key"] is not null).ToDictionary(t => (string)t!["Key"]!, t => Text(t!["Value"]), StringComparer.Ordinal),
            JsonObject map => map.ToDictionary(t => t.Key, t => Text(t.Value), StringComparer.Ordinal),
            _ => new Dictionary<string, string>(),
        };

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";

    /// <summary>True when anything in this resource refers (Ref, Fn::GetAtt, ${…}) to <paramref name="logicalId"/>.</summary>
    public bool RefersTo(string logicalId) => Refs.RefersTo(Json, logicalId);
}

public static class Refs
{
    public static bool RefersTo(JsonNode? node, string logicalId) => node switch
    {
        JsonObject o when o["Ref"] is JsonValue r && (string?)r == logicalId => true,
        JsonObject o when o["Fn::GetAtt"] is JsonArray a && (string?)a[0] == logicalId => true,
        JsonObject o => o.Any(p => RefersTo(p.Value, logicalId)),
        JsonArray a => a.Any(i => RefersTo(i, logicalId)),
        JsonValue v when v.TryGetValue<string>(out var s) => s.Contains("${" + logicalId + "}", StringComparison.Ordinal) || s.Contains("${" + logicalId + ".", StringComparison.Ordinal),
        _ => false,
    };

    public static bool IsRefTo(JsonNode? node, string logicalId) =>
        node is JsonObject o && ((o["Ref"] is JsonValue r && (string?)r == logicalId) || (o["Fn::GetAtt"] is JsonArray a && (string?)a[0] == logicalId));

    /// <summary>Every string inside <paramref name="node"/>, flattened (policy actions, ARNs, names).</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
