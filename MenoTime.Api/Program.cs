using MenoTime.Api.Features.Status;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapStatusEndpoints();
app.Run();
