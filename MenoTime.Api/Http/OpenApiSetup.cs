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
            // A PATCH field (PatchField<T>) is documented as the T it carries.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PatchField<>))
                {
                    schema.Properties?.Clear();
                    schema.Type = null;
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
