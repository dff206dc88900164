using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace MenoTime.AppHost.Hosting.Dashboard.Telemetry;

/// <summary>
/// OTLP over HTTP with protobuf bodies: what the services' OpenTelemetry exporters send when the AppHost sets
/// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf. The API key is checked before
/// (see <see cref="DashboardAuth"/>).
/// </summary>
internal static class OtlpReceiver
{
    public const string ContentType = "application/x-protobuf";

    // A gzip body may expand far beyond the request size limit: stop reading there.
    private const int MaxDecodedBytes = 32 * 1024 * 1024;

    public static void Map(WebApplication web, TelemetryStore store)
    {
        web.MapPost("/v1/traces", context => ReceiveAsync(context, ExportTraceServiceRequest.Parser, store.Add, new ExportTraceServiceResponse()));
        web.MapPost("/v1/logs", context => ReceiveAsync(context, ExportLogsServiceRequest.Parser, store.Add, new ExportLogsServiceResponse()));
        web.MapPost("/v1/metrics", context => ReceiveAsync(context, ExportMetricsServiceRequest.Parser, store.Metrics.Add, new ExportMetricsServiceResponse()));
    }

    private static async Task ReceiveAsync<T>(HttpContext context, MessageParser<T> parser, Action<T> add, IMessage response)
        where T : IMessage<T>
    {
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), ContentType, StringComparison.OrdinalIgnoreCase))
        {
            await Results.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "OTLP/HTTP here takes protobuf bodies",
                detail: $"Send Content-Type: {ContentType} (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).").ExecuteAsync(context);
            return;
        }

        T message;
        try
        {
            message = parser.ParseFrom(await ReadBodyAsync(context.Request));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an OTLP protobuf message", detail: e.Message)
                .ExecuteAsync(context);
            return;
        }

        add(message);
        context.Response.ContentType = ContentType;
        await context.Response.Body.WriteAsync(response.ToByteArray(), context.RequestAborted);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        var gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        await using var unzip = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : null;
        var source = unzip ?? request.Body;
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxDecodedBytes)
            {
                throw new InvalidDataException($"The decoded body exceeds {MaxDecodedBytes / 1024 / 1024} MiB.");
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }
}
