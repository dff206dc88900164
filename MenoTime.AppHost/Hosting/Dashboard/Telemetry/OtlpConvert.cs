using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OtlpResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace MenoTime.AppHost.Hosting.Dashboard.Telemetry;

/// <summary>An attribute as the dashboard shows it.</summary>
public sealed record Field(string Key, string Value);

/// <summary>Who sent a batch: the OTEL_SERVICE_NAME and service.instance.id the AppHost gave the process.</summary>
public sealed record Sender(string Service, string Instance);

/// <summary>From OTLP's wire types to the dashboard's small, bounded records.</summary>
internal static class OtlpConvert
{
    public const int MaxAttributes = 64;
    public const int MaxValueLength = 1_000;

    public static Sender Sender(OtlpResource? resource)
    {
        string? service = null, instance = null;
        foreach (var attribute in resource?.Attributes ?? [])
        {
            switch (attribute.Key)
            {
                case "service.name":
                    service = Text(attribute.Value);
                    break;
                case "service.instance.id":
                    instance = Text(attribute.Value);
                    break;
            }
        }

        service ??= "unknown";
        return new Sender(service, instance ?? service);
    }

    public static IReadOnlyList<Field> Fields(RepeatedField<KeyValue> attributes) =>
        attributes.Count == 0 ? [] : [.. attributes.Take(MaxAttributes).Select(a => new Field(a.Key, Text(a.Value)))];

    public static string? Hex(ByteString bytes) =>
        bytes.IsEmpty || bytes.Span.IndexOfAnyExcept((byte)0) < 0 ? null : Convert.ToHexStringLower(bytes.Span);

    public static DateTimeOffset Time(ulong unixNanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanoseconds / 100));

    public static string Text(AnyValue? value)
    {
        var text = value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => value.StringValue,
            AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.ArrayValue => $"[{string.Join(", ", value.ArrayValue.Values.Select(Text))}]",
            AnyValue.ValueOneofCase.KvlistValue => $"{{{string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}={Text(kv.Value)}"))}}}",
            AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
            _ => "",
        };
        return text.Length <= MaxValueLength ? text : text[..MaxValueLength] + "…";
    }
}
