using System.Text.Json;
using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Questionnaires;

public sealed record QuestionnaireSubmission(int[]? Answers) : ICreateRequest;

public sealed record QuestionnaireResponseDto(
    Guid Id, string Instrument, string InstrumentVersion, int[] Answers, IReadOnlyList<ScaleScore> Scores, DateTimeOffset SubmittedAt)
{
    public static QuestionnaireResponseDto From(QuestionnaireResponse r) => new(
        r.Id, r.Instrument, r.InstrumentVersion, r.Answers.Select(a => (int)a).ToArray(),
        JsonSerializer.Deserialize<List<ScaleScore>>(r.Scores, JsonSerializerOptions.Web)!, r.SubmittedAt);
}

public static class QuestionnaireEndpoints
{
    public static void MapQuestionnaireEndpoints(this RouteGroupBuilder api)
    {
        var questionnaires = api.MapGroup("/patients/{patientId}/questionnaires").WithTags("Questionnaires").WithMetadata(new AuditResource("questionnaire_response"));
        questionnaires.MapPost("/{instrument}", Submit).ForPatient(PatientData.Questionnaires, AccessMode.Write).Idempotent();
        questionnaires.MapGet("/", History).ForPatient(PatientData.Questionnaires, AccessMode.Read);
        questionnaires.MapGet("/{responseId:guid}", Get).ForPatient(PatientData.Questionnaires, AccessMode.Read);
    }

    public static async Task<Results<Ok<QuestionnaireResponseDto>, ProblemHttpResult>> Get(Guid patientId, Guid responseId, HttpContext http, MenoTimeDbContext db)
    {
        var response = await db.QuestionnaireResponses.AsNoTracking()
            .SingleOrDefaultAsync(r => r.Id == responseId && r.PatientId == patientId, http.RequestAborted);
        return response is null ? Problems.NotFound("questionnaire response") : TypedResults.Ok(QuestionnaireResponseDto.From(response));
    }

    /// <summary>Stores the answers and scores them on the server with the instrument's current version.</summary>
    public static async Task<Results<Created<QuestionnaireResponseDto>, ValidationProblem, ProblemHttpResult>> Submit(
        Guid patientId, string instrument, QuestionnaireSubmission request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        if (Instruments.Current(instrument) is not { } definition)
        {
            return Problems.NotFound($"questionnaire instrument '{instrument}' (known: {string.Join(", ", Instruments.All.Select(i => i.Name).Distinct())})");
        }

        var answers = request.Answers;
        var validation = new Validation();
        if (answers is null || answers.Length != definition.ItemCount)
        {
            validation.Add("answers", $"must list exactly {definition.ItemCount} answers, one per item in order.");
        }
        else
        {
            for (var i = 0; i < answers.Length; i++)
            {
                validation.Check(answers[i] >= definition.MinAnswer && answers[i] <= definition.MaxAnswer, $"answers[{i}]",
                    $"must be between {definition.MinAnswer} and {definition.MaxAnswer}.");
            }
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var caller = http.RequireCaller();
        var response = new QuestionnaireResponse
        {
            Id = Guid.CreateVersion7(),
            PatientId = patientId,
            Instrument = definition.Name,
            InstrumentVersion = definition.Version,
            Answers = answers!.Select(a => (short)a).ToArray(),
            Scores = JsonSerializer.Serialize(definition.Score(answers!), JsonSerializerOptions.Web),
            SubmittedBy = caller.Subject,
            SubmittedAt = clock.GetUtcNow(),
        };
        db.QuestionnaireResponses.Add(response);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created($"/api/v1/patients/{patientId}/questionnaires/{response.Id}", QuestionnaireResponseDto.From(response));
    }

    /// <summary>The history for trends, oldest first, optionally of one instrument.</summary>
    public static async Task<Results<Ok<Page<QuestionnaireResponseDto>>, ValidationProblem>> History(
        Guid patientId, string? instrument, [AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var query = db.QuestionnaireResponses.AsNoTracking().Where(r => r.PatientId == patientId);
        if (instrument is not null)
        {
            query = query.Where(r => r.Instrument == instrument);
        }

        if (cursor is not null)
        {
            query = query.Where(r => r.SubmittedAt > cursor.At || (r.SubmittedAt == cursor.At && r.Id.CompareTo(cursor.Id) > 0));
        }

        var rows = await query.OrderBy(r => r.SubmittedAt).ThenBy(r => r.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, r => new PageCursor(r.SubmittedAt, r.Id), QuestionnaireResponseDto.From));
    }
}
