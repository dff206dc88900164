using MenoTime.Api.Features.Email;
using MenoTime.Api.Features.Status;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddEmailFeedback();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapStatusEndpoints();
app.MapEmailEndpoints();
app.Run();
