using System.Text.Json;

namespace MenoTime.Api.Features.Questionnaires;

/// <summary>A severity band: scores up to UpTo (inclusive) get Band; the last band has no upper bound.</summary>
public sealed record SeverityBand(int? UpTo, string Band);

public sealed record Subscale(string Name, int[] Items, SeverityBand[]? Bands);

/// <summary>
/// A validated questionnaire as data (Instruments/{name}-{version}.json): items, answer range, subscales
/// and severity bands. Responses store the version they were scored with, so a later revision of the
/// bands never changes a past score.
/// </summary>
public sealed record Instrument(string Name, string Version, string Title, string Source, int ItemCount, int MinAnswer, int MaxAnswer, Subscale[] Scales)
{
    public IReadOnlyList<ScaleScore> Score(IReadOnlyList<int> answers) =>
        Scales.Select(scale =>
        {
            var score = scale.Items.Sum(item => answers[item - 1]);
            var band = scale.Bands?.First(b => b.UpTo is null || score <= b.UpTo).Band;
            return new ScaleScore(scale.Name, score, scale.Items.Length * MaxAnswer, band);
        }).ToList();
}

public sealed record ScaleScore(string Scale, int Score, int Max, string? Band);

/// <summary>The instruments this build knows, from the embedded data files; the newest version of each is current.</summary>
public static class Instruments
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    public static IReadOnlyList<Instrument> All { get; } = Load();

    public static Instrument? Current(string name) =>
        All.Where(i => i.Name == name).OrderByDescending(i => int.Parse(i.Version, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    public static Instrument? Find(string name, string version) => All.FirstOrDefault(i => i.Name == name && i.Version == version);

    private static List<Instrument> Load()
    {
        var assembly = typeof(Instruments).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Instruments/", StringComparison.Ordinal))
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                var data = JsonSerializer.Deserialize<InstrumentFile>(stream, Json)!;
                return new Instrument(data.Instrument, data.Version, data.Title, data.Source, data.ItemCount, data.MinAnswer, data.MaxAnswer, data.Scales);
            })
            .ToList();
    }

    private sealed record InstrumentFile(string Instrument, string Version, string Title, string Source, int ItemCount, int MinAnswer, int MaxAnswer, Subscale[] Scales);
}
