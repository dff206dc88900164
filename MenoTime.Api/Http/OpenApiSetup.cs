using System.Text.Json.Nodes;
using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using Microsoft.OpenApi;

namespace MenoTime.Api.Http;

public static class OpenApiSetup
{
    public static IServiceCollection AddMenoTimeOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo { Title = "MenoTime API", Version = "v1", Description = "Menopause care: patients, appointments, questionnaires, symptoms, HRT, notes." };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                    Description = "An access token from the OIDC issuer (Cognito; locally POST /token on the identity resource).",
                };
                return Task.CompletedTask;
            });
            // Every operation states its access rule and audit resource, so the security tests can build the
            // authorization matrix from the API's own endpoint list (an endpoint without a rule shows "none").
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var rule = metadata.OfType<AccessRule>().LastOrDefault();
                var access = rule switch
                {
                    PatientRule p => new JsonObject { ["kind"] = "patient", ["data"] = p.Data.ToString(), ["mode"] = p.Mode.ToString() },
                    RoleRule r => new JsonObject { ["kind"] = "roles", ["roles"] = new JsonArray([.. r.Roles.Select(role => JsonValue.Create(role))]) },
                    AnonymousRule a => new JsonObject { ["kind"] = "anonymous", ["reason"] = a.Reason },
                    _ => new JsonObject { ["kind"] = "none" },
                };
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions["x-menotime-access"] = new JsonNodeExtension(access);
                if (metadata.OfType<AuditResource>().LastOrDefault() is { } audit)
                {
                    operation.Extensions["x-menotime-audit"] = new JsonNodeExtension(new JsonObject { ["resource"] = audit.Type });
                }

                return Task.CompletedTask;
            });
            // A PATCH field (PatchField<T>) is optional: absent leaves the value, null clears it.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PatchField<>))
                {
                    schema.Properties?.Clear();
                    schema.Type = null;
                    schema.Description = $"A {type.GetGenericArguments()[0].Name}: omit to leave unchanged, null to clear.";
                }

                foreach (var property in context.JsonTypeInfo.Properties.Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(PatchField<>)))
                {
                    schema.Required?.Remove(property.Name);
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>The OpenAPI document at /openapi/v1.json, and in Development an interactive page at /swagger.</summary>
    public static WebApplication MapMenoTimeOpenApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment())
        {
            // The page needs its own scripts and styles: a CSP for it alone, instead of the API's "default-src 'none'".
            app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger"), branch => branch.Use((context, next) =>
            {
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";
                return next(context);
            }));
            app.UseSwaggerUI(options => options.SwaggerEndpoint("/openapi/v1.json", "MenoTime API v1"));
        }

        return app;
    }
}
