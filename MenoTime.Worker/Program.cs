using MenoTime.Worker.Delivery;
using MenoTime.Worker.Heartbeats;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMenoTimeDatabase();
builder.AddMenoTimeAws();
builder.AddWorkerHeartbeat();
builder.AddReminderDelivery();

// The worker serves only /health and /alive: the AppHost and the ECS container health check probe them.
var app = builder.Build();
app.UseServiceDefaults();
app.Run();
