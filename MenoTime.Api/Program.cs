using MenoTime.Api.Access;
using MenoTime.Api.Features.Appointments;
using MenoTime.Api.Features.CareTeam;
using MenoTime.Api.Features.Medications;
using MenoTime.Api.Features.Notes;
using MenoTime.Api.Features.Patients;
using MenoTime.Api.Features.Providers;
using MenoTime.Api.Features.Questionnaires;
using MenoTime.Api.Features.Status;
using MenoTime.Api.Features.Symptoms;
using MenoTime.Api.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddMenoTimeAuthentication();
builder.Services.AddMenoTimeJson();
builder.Services.AddScoped<PatientAccessPolicy>();
builder.Services.AddMenoTimeOpenApi();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024); // larger bodies: 413

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.UseServiceDefaults();
app.MapMenoTimeOpenApi();

var api = app.MapGroup("/api/v1").RequireAuthorization();
api.MapStatusEndpoints();
api.MapPatientEndpoints();
api.MapCareTeamEndpoints();
api.MapProviderEndpoints();
api.MapAppointmentEndpoints();
api.MapQuestionnaireEndpoints();
api.MapSymptomEndpoints();
api.MapMedicationEndpoints();
api.MapNoteEndpoints();
app.Run();
