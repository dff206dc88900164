using MenoTime.Worker.Delivery;
using MenoTime.Worker.Heartbeats;
using MenoTime.Worker.Planning;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddMenoTimeAws();
builder.AddWorkerHeartbeat();
builder.AddReminderDelivery();
builder.AddReminderPlanning();

// The worker serves only /health and /alive: the AppHost and the ECS container health check probe them.
var app = builder.Build();
app.UseServiceDefaults();
app.Run();
