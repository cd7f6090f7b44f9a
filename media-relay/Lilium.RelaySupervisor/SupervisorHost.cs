using System.Net;
using System.Text.Json;

namespace Lilium.RelaySupervisor;

/// <summary>
/// The supervisor as a web app: the <see cref="LoadBalancer"/> on <see cref="SupervisorOptions.Port"/> (127.0.0.1) for
/// every path but <c>/_supervisor/status</c>, which lists the relays (id, pid, ports, /health status, sessions) for
/// people and tests (a test that kills a relay finds its pid there).
/// </summary>
public static class SupervisorHost
{
    public static WebApplication Create(SupervisorOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder([]);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<Supervisor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Supervisor>());
        builder.Services.AddSingleton<LoadBalancer>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(20));
        var app = builder.Build();
        app.MapGet("/_supervisor/status", (Supervisor supervisor) => Results.Text(Status(supervisor), "application/json"));
        app.MapFallback(context => context.RequestServices.GetRequiredService<LoadBalancer>().ForwardAsync(context));
        return app;
    }

    private static string Status(Supervisor supervisor)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("desired", supervisor.Desired);
            writer.WriteNumber("ticks", supervisor.Ticks);
            writer.WriteStartArray("relays");
            foreach (var relay in supervisor.Relays)
            {
                writer.WriteStartObject();
                writer.WriteString("relayId", relay.RelayId);
                writer.WriteNumber("pid", relay.HasExited ? 0 : relay.Process.Id);
                writer.WriteString("url", relay.BaseUrl.AbsoluteUri);
                writer.WriteNumber("mediaPort", relay.UdpPort);
                writer.WriteString("status", relay.Status ?? "starting");
                writer.WriteNumber("sessions", relay.Sessions);
                writer.WriteNumber("peers", relay.Peers);
                writer.WriteBoolean("stopping", relay.StopRequestedAt is not null);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
