using System.Text.Json.Serialization;

namespace MenoTime.Api.Http;

public static class JsonSetup
{
    /// <summary>Strict JSON: unknown fields are refused (so a field the caller may not set cannot slip in), depth is bounded.</summary>
    public static IServiceCollection AddMenoTimeJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.MaxDepth = 32;
            options.SerializerOptions.Converters.Add(new PatchFieldConverterFactory());
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
}
