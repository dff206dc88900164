using MenoTime.Api.Features.Status;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddFieldEncryption();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapStatusEndpoints();
app.Run();
