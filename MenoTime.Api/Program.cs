using MenoTime.Api.Access;
using MenoTime.Api.Features.Appointments;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Features.CareTeam;
using MenoTime.Api.Features.EmergencyAccess;
using MenoTime.Api.Features.Medications;
using MenoTime.Api.Features.Notes;
using MenoTime.Api.Features.Notifications;
using MenoTime.Api.Features.Patients;
using MenoTime.Api.Features.Providers;
using MenoTime.Api.Features.Questionnaires;
using MenoTime.Api.Features.Sessions;
using MenoTime.Api.Features.Email;
using MenoTime.Api.Features.Encryption;
using MenoTime.Api.Features.Status;
using MenoTime.Api.Features.Symptoms;
using MenoTime.Api.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddMenoTimeAuthentication();
builder.Services.AddMenoTimeJson();
builder.Services.AddMenoTimeRateLimits(builder.Configuration);
builder.Services.AddScoped<PatientAccessPolicy>();
builder.Services.AddMenoTimeOpenApi();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024); // larger bodies: 413
builder.AddFieldEncryption();
builder.AddSensitiveText();
builder.AddEmailFeedback();
builder.AddEmergencyAccessAlerts();

var app = builder.Build();
if (args.Contains("rewrap-fields"))
{
    // An operator's command after a KMS key rotation: re-wrap every encrypted value's data key, then exit.
    await app.Services.GetRequiredService<EncryptedColumns>().RewrapAllAsync(CancellationToken.None);
    await app.DisposeAsync(); // flushes the console logger's queue, or the operator may never see the count
    return;
}

app.UseServiceDefaults();
app.UseForwardedHeaders();
app.UseMiddleware<AuditMiddleware>();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapMenoTimeOpenApi();

// Every endpoint under /api/v1 needs a token unless its rule says otherwise, and is audited.
var api = app.MapGroup("/api/v1").RequireAuthorization().AddEndpointFilter<AuditFilter>();
api.MapStatusEndpoints();
api.MapSessionEndpoints();
api.MapPatientEndpoints();
api.MapCareTeamEndpoints();
api.MapEmergencyAccessEndpoints();
api.MapProviderEndpoints();
api.MapAppointmentEndpoints();
api.MapQuestionnaireEndpoints();
api.MapSymptomEndpoints();
api.MapMedicationEndpoints();
api.MapNoteEndpoints();
api.MapAuditEndpoints();
api.MapEmailEndpoints();
api.MapNotificationEndpoints();
app.Run();
