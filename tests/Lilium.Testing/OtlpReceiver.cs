using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Testing;

/// <summary>
/// A real OTLP/HTTP receiver (binary protobuf, <c>POST /v1/traces</c> and <c>/v1/metrics</c>) on a loopback port: it
/// decodes the export requests with a minimal protobuf wire reader (the opentelemetry-proto field numbers) and keeps
/// the spans and metric names, so tests check what an exporter really put on the wire.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<OtlpMetric> _metrics = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base URL to set as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyCollection<OtlpSpan> Spans => _spans;

    public IReadOnlyCollection<OtlpMetric> Metrics => _metrics;

    /// <summary>Requests refused (not <c>application/x-protobuf</c>, or undecodable).</summary>
    public int Refused { get; private set; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var app = LoopbackWebApp.Create();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", (Delegate)((HttpContext c) => receiver.ReceiveAsync(c, receiver.DecodeTraces)));
        app.MapPost("/v1/metrics", (Delegate)((HttpContext c) => receiver.ReceiveAsync(c, receiver.DecodeMetrics)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Endpoint = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return receiver;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; false at the deadline.</summary>
    public async Task<bool> WaitForAsync(Func<OtlpReceiver, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context, Action<byte[]> decode)
    {
        if (context.Request.ContentType != "application/x-protobuf")
        {
            Refused++;
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        try
        {
            decode(body.ToArray());
        }
        catch (FormatException)
        {
            Refused++;
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        // An empty Export*ServiceResponse: full success.
        return Results.Bytes([], "application/x-protobuf");
    }

    // ExportTraceServiceRequest { 1: ResourceSpans } ResourceSpans { 1: Resource, 2: ScopeSpans }
    // ScopeSpans { 1: InstrumentationScope, 2: Span } Span { 1: trace_id, 5: name, 6: kind, 9: KeyValue attributes }
    private void DecodeTraces(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = ServiceName(resourceSpans);
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = ScopeName(scopeSpans);
                foreach (var span in Fields(scopeSpans, 2))
                {
                    string name = "", traceId = "";
                    var kind = 0;
                    var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
                    var reader = new ProtoReader(span);
                    while (reader.Next(out var field, out var wire))
                    {
                        switch (field, wire)
                        {
                            case (1, 2): traceId = Convert.ToHexStringLower(reader.Bytes()); break;
                            case (5, 2): name = Encoding.UTF8.GetString(reader.Bytes()); break;
                            case (6, 0): kind = (int)reader.Varint(); break;
                            case (9, 2):
                                var (key, value) = KeyValue(reader.Bytes());
                                attributes[key] = value;
                                break;
                            default: reader.Skip(wire); break;
                        }
                    }

                    _spans.Enqueue(new OtlpSpan(service, scope, name, kind, traceId, attributes));
                }
            }
        }
    }

    // ExportMetricsServiceRequest { 1: ResourceMetrics } ResourceMetrics { 1: Resource, 2: ScopeMetrics }
    // ScopeMetrics { 1: InstrumentationScope, 2: Metric } Metric { 1: name, 3: unit, 5: gauge, 7: sum, 9: histogram, 10: exponential histogram }
    private void DecodeMetrics(byte[] request)
    {
        foreach (var resourceMetrics in Fields(request, 1))
        {
            var service = ServiceName(resourceMetrics);
            foreach (var scopeMetrics in Fields(resourceMetrics, 2))
            {
                var scope = ScopeName(scopeMetrics);
                foreach (var metric in Fields(scopeMetrics, 2))
                {
                    string name = "", unit = "", type = "";
                    var reader = new ProtoReader(metric);
                    while (reader.Next(out var field, out var wire))
                    {
                        switch (field, wire)
                        {
                            case (1, 2): name = Encoding.UTF8.GetString(reader.Bytes()); break;
                            case (3, 2): unit = Encoding.UTF8.GetString(reader.Bytes()); break;
                            case (5, 2): type = "gauge"; reader.Bytes(); break;
                            case (7, 2): type = "sum"; reader.Bytes(); break;
                            case (9, 2): type = "histogram"; reader.Bytes(); break;
                            case (10, 2): type = "exponential_histogram"; reader.Bytes(); break;
                            default: reader.Skip(wire); break;
                        }
                    }

                    _metrics.Enqueue(new OtlpMetric(service, scope, name, unit, type));
                }
            }
        }
    }

    /// <summary>Resource { 1: KeyValue attributes }: the <c>service.name</c> attribute.</summary>
    private static string ServiceName(byte[] resourceContainer)
    {
        foreach (var resource in Fields(resourceContainer, 1))
        {
            foreach (var attribute in Fields(resource, 1))
            {
                if (KeyValue(attribute) is ("service.name", var value))
                {
                    return value;
                }
            }
        }

        return "";
    }

    /// <summary>InstrumentationScope { 1: name } at field 1 of ScopeSpans / ScopeMetrics.</summary>
    private static string ScopeName(byte[] scopeContainer)
    {
        foreach (var scope in Fields(scopeContainer, 1))
        {
            foreach (var name in Fields(scope, 1))
            {
                return Encoding.UTF8.GetString(name);
            }
        }

        return "";
    }

    /// <summary>KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int64, 4: double } }, the value as text.</summary>
    private static (string Key, string Value) KeyValue(ReadOnlySpan<byte> keyValue)
    {
        string key = "", value = "";
        var reader = new ProtoReader(keyValue);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == 2)
            {
                key = Encoding.UTF8.GetString(reader.Bytes());
            }
            else if (field == 2 && wire == 2)
            {
                var any = new ProtoReader(reader.Bytes());
                while (any.Next(out var f, out var w))
                {
                    value = (f, w) switch
                    {
                        (1, 2) => Encoding.UTF8.GetString(any.Bytes()),
                        (2, 0) => any.Varint() != 0 ? "true" : "false",
                        (3, 0) => ((long)any.Varint()).ToString(CultureInfo.InvariantCulture),
                        (4, 1) => BitConverter.Int64BitsToDouble((long)any.Fixed64()).ToString(CultureInfo.InvariantCulture),
                        _ => Skipped(ref any, w),
                    };
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return (key, value);
    }

    private static string Skipped(ref ProtoReader reader, int wire)
    {
        reader.Skip(wire);
        return "(complex)";
    }

    /// <summary>The payloads of every length-delimited occurrence of <paramref name="number"/> in a message.</summary>
    private static List<byte[]> Fields(ReadOnlySpan<byte> message, int number)
    {
        var found = new List<byte[]>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wire))
        {
            if (field == number && wire == 2)
            {
                found.Add(reader.Bytes().ToArray());
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return found;
    }

    /// <summary>The protobuf wire format: varints, 64- and 32-bit fixed, length-delimited; malformed input is a <see cref="FormatException"/>.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out int wire)
        {
            if (_position >= _data.Length)
            {
                (field, wire) = (0, 0);
                return false;
            }

            var tag = Varint();
            (field, wire) = ((int)(tag >> 3), (int)(tag & 7));
            return field > 0 ? true : throw new FormatException("field number 0");
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw new FormatException("truncated varint");
                }

                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new FormatException("varint too long");
        }

        public ulong Fixed64() => BitConverter.ToUInt64(Take(8));

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            return length <= (ulong)(_data.Length - _position) ? Take((int)length) : throw new FormatException("length past the end");
        }

        public void Skip(int wire)
        {
            _ = wire switch
            {
                0 => Varint(),
                1 => Fixed64(),
                2 => (ulong)Bytes().Length,
                5 => BitConverter.ToUInt32(Take(4)),
                _ => throw new FormatException($"wire type {wire}"),
            };
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_data.Length - _position < count)
            {
                throw new FormatException("truncated");
            }

            var slice = _data.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}

/// <summary>A span as received: its service (resource <c>service.name</c>), scope (ActivitySource), name, kind (2 = server) and attributes.</summary>
public sealed record OtlpSpan(string Service, string Scope, string Name, int Kind, string TraceId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>A metric as received: its service, scope (Meter), name, unit and data type (gauge, sum, histogram).</summary>
public sealed record OtlpMetric(string Service, string Scope, string Name, string Unit, string Type);
