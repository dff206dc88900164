// A development OIDC issuer: discovery, JWKS and POST /token. It stands in for the Cognito user pool
// locally, so that curl, the API page and the tests use real RS256 tokens, validated by the API exactly
// as Cognito's are in AWS. It issues any role to anyone: it refuses to run outside Development.
using System.Security.Cryptography;
using MenoTime.DevIdentity;

var builder = WebApplication.CreateBuilder(args);
if (!builder.Environment.IsDevelopment())
{
    throw new InvalidOperationException("MenoTime.DevIdentity issues tokens to anyone and runs only in Development.");
}

builder.AddServiceDefaults();
builder.Services.AddSingleton(new TokenIssuer(
    RSA.Create(2048),
    builder.Configuration["Identity:Issuer"] ?? throw new InvalidOperationException("Identity:Issuer is not set."),
    builder.Configuration["Identity:ClientId"] ?? TokenIssuer.DefaultClientId));

var app = builder.Build();
app.UseServiceDefaults();
app.MapIdentityEndpoints();
app.Run();
