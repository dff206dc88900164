using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

public sealed class QuestionnaireTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    /// <summary>
    /// The MRS bands at their boundaries (Heinemann et al. 2004): total 0-4/5-8/9-16/17+,
    /// somato-vegetative 0-2/3-4/5-8/9+, psychological 0-1/2-3/4-6/7+, urogenital 0/1/2-3/4+.
    /// </summary>
    [Theory]
    [InlineData(0, 0, 0, "none", "none", "none", "none")]
    [InlineData(2, 1, 1, "none", "none", "none", "mild")]
    [InlineData(3, 2, 0, "mild", "mild", "mild", "none")]
    [InlineData(4, 3, 1, "mild", "mild", "mild", "mild")]
    [InlineData(5, 4, 0, "moderate", "moderate", "moderate", "none")]
    [InlineData(8, 6, 2, "moderate", "moderate", "moderate", "moderate")]
    [InlineData(9, 7, 1, "severe", "severe", "severe", "mild")]
    [InlineData(0, 0, 3, "none", "none", "none", "moderate")]
    [InlineData(0, 0, 4, "none", "none", "none", "severe")]
    [InlineData(16, 16, 12, "severe", "severe", "severe", "severe")]
    public async Task Mrs_is_scored_on_the_server_with_the_published_bands(
        int somatic, int psychological, int urogenital, string totalBand, string somaticBand, string psychologicalBand, string urogenitalBand)
    {
        var patient = await _clinic.NewPatientAsync();
        var answers = MrsAnswers(somatic, psychological, urogenital);

        var result = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/questionnaires/mrs", new { answers }, Cancellation));

        var scores = Scores(result);
        Assert.Equal((somatic + psychological + urogenital, 44, totalBand), scores["total"]);
        Assert.Equal((somatic, 16, somaticBand), scores["somatoVegetative"]);
        Assert.Equal((psychological, 16, psychologicalBand), scores["psychological"]);
        Assert.Equal((urogenital, 12, urogenitalBand), scores["urogenital"]);
        Assert.Equal("1", result.GetProperty("instrumentVersion").GetString());
        Assert.Equal(answers, result.GetProperty("answers").EnumerateArray().Select(a => a.GetInt32()));
    }

    [Fact]
    public async Task Greene_is_scored_per_subscale_without_bands()
    {
        var patient = await _clinic.NewPatientAsync();
        int[] answers = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 0, 1, 2];

        var result = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/questionnaires/greene", new { answers }, Cancellation));

        var scores = Scores(result);
        Assert.Equal((6, 18, (string?)null), scores["anxiety"]);
        Assert.Equal((10, 15, (string?)null), scores["depression"]);
        Assert.Equal((21, 21, (string?)null), scores["somatic"]);
        Assert.Equal((1, 6, (string?)null), scores["vasomotor"]);
        Assert.Equal((2, 3, (string?)null), scores["sexual"]);
        Assert.Equal((40, 63, (string?)null), scores["total"]);
    }

    [Fact]
    public async Task Wrong_answers_are_refused_per_item_and_nothing_is_stored()
    {
        var patient = await _clinic.NewPatientAsync();

        var tooFew = await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/questionnaires/mrs", new { answers = new[] { 1, 2, 3 } }, Cancellation);
        var outOfRange = await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/questionnaires/mrs", new { answers = new[] { 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, -1 } }, Cancellation);
        var unknown = await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/questionnaires/kupperman", new { answers = new[] { 1 } }, Cancellation);

        Assert.True((await ExpectProblem(HttpStatusCode.BadRequest, tooFew, "validation")).GetProperty("errors").TryGetProperty("answers", out _));
        var errors = (await ExpectProblem(HttpStatusCode.BadRequest, outOfRange, "validation")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("answers[3]", out _));
        Assert.True(errors.TryGetProperty("answers[10]", out _));
        await ExpectProblem(HttpStatusCode.NotFound, unknown, "not-found");
        var history = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/questionnaires", Cancellation));
        Assert.Equal(0, history.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_history_of_one_instrument_comes_in_submission_order_for_trends()
    {
        var patient = await _clinic.NewPatientAsync();
        foreach (var level in new[] { 3, 2, 1 })
        {
            await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(
                $"/api/v1/patients/{patient.Id}/questionnaires/mrs", new { answers = Enumerable.Repeat(level, 11) }, Cancellation));
        }

        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/questionnaires/greene", new { answers = Enumerable.Repeat(0, 21) }, Cancellation));

        var history = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/questionnaires?instrument=mrs", Cancellation));

        Assert.Equal([33, 22, 11], history.GetProperty("items").EnumerateArray().Select(r => Scores(r)["total"].Score));
    }

    [Fact]
    public async Task A_provider_cannot_read_the_questionnaires_of_a_patient_not_assigned_to_them()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();

        var response = await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/questionnaires", Cancellation);

        await ExpectProblem(HttpStatusCode.NotFound, response);
    }

    /// <summary>Answers whose subscale sums are as given (each item 0-4).</summary>
    private static int[] MrsAnswers(int somatic, int psychological, int urogenital)
    {
        var answers = new int[11];
        Spread(answers, [1, 2, 3, 11], somatic);
        Spread(answers, [4, 5, 6, 7], psychological);
        Spread(answers, [8, 9, 10], urogenital);
        return answers;
    }

    private static void Spread(int[] answers, int[] items, int sum)
    {
        foreach (var item in items)
        {
            var value = Math.Min(4, sum);
            answers[item - 1] = value;
            sum -= value;
        }
    }

    private static Dictionary<string, (int Score, int Max, string? Band)> Scores(JsonElement response) =>
        response.GetProperty("scores").EnumerateArray().ToDictionary(
            s => s.GetProperty("scale").GetString()!,
            s => (s.GetProperty("score").GetInt32(), s.GetProperty("max").GetInt32(), s.TryGetProperty("band", out var band) ? band.GetString() : null));
}
