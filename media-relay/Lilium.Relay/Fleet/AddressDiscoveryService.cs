using System.Net;
using Lilium.Aws;
using Lilium.Relay.Http;
using Lilium.Relay.Media;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Fleet;

/// <summary>
/// Learns the address the relay's ICE candidates advertise (issue 24 item 6), in this order: the ECS task metadata
/// endpoint v4 (task ARN → relay id; private IP and MAC) and EC2 <c>DescribeNetworkInterfaces</c> for the interface's
/// public IP; else <c>RELAY_PUBLIC_IP</c>; else a non-loopback bind address; else STUN (<c>RELAY_STUN_SERVER</c>). When
/// none answers the relay stays <see cref="Readiness.NoAddress"/> (503 on /health, no registry item, no sessions) and
/// tries again every <see cref="RetryInterval"/>; it never falls back to advertising loopback. Configuration-only
/// answers are taken in <see cref="StartAsync"/>, so such a relay is ready before Kestrel listens; the network ones run
/// in the background while /health says <c>starting</c>.
/// </summary>
internal sealed partial class AddressDiscoveryService(
    RelayAdvertisement advertisement, FleetEnvironment fleet, IOptions<RelayOptions> options, ILogger<AddressDiscoveryService> log) : IHostedService, IDisposable
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _background;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (advertisement.State == Readiness.Ready)
        {
            return Task.CompletedTask;
        }

        if (fleet.MetadataUri is null && FromConfiguration(options.Value) is { } configured)
        {
            advertisement.MarkReady(configured.Address, configured.Source, null, null);
            LogReady(log, configured.Address, configured.Source, advertisement.RelayId);
            return Task.CompletedTask;
        }

        _background = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_background is not null)
        {
            await _background.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await DiscoverAsync(cancellationToken))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            advertisement.MarkNoAddress();
            LogNoAddress(log, RetryInterval.TotalSeconds);
            try
            {
                await Task.Delay(RetryInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> DiscoverAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        TaskMetadata? task = null;
        if (fleet.MetadataUri is { } metadataUri)
        {
            // The endpoint answers from the task's start; a few tries cover an agent that is a moment late.
            for (var attempt = 0; attempt < 5 && task is null; attempt++)
            {
                task = await TaskMetadata.ReadAsync(http, metadataUri, cancellationToken);
                if (task is null)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
                }
            }

            if (task is null)
            {
                LogMetadataFailed(log, metadataUri);
            }
            else if (task.PrivateIp is { } privateIp)
            {
                try
                {
                    var interfaces = await fleet.CreateEc2(http).DescribeNetworkInterfacesByPrivateIpAsync(privateIp.ToString(), task.MacAddress, cancellationToken);
                    if (interfaces.Select(i => i.PublicIp).FirstOrDefault(ip => ip is not null) is { } text && IPAddress.TryParse(text, out var publicIp))
                    {
                        return Ready(publicIp, "ecs-metadata", task);
                    }

                    LogNoPublicIp(log, privateIp);
                }
                catch (Exception e) when (e is AwsServiceException or AwsConfigurationException or HttpRequestException or TaskCanceledException
                                          && !cancellationToken.IsCancellationRequested)
                {
                    LogEc2Failed(log, e.Message);
                }
            }
        }

        if (FromConfiguration(o) is { } configured)
        {
            return Ready(configured.Address, configured.Source, task);
        }

        if (!string.IsNullOrWhiteSpace(o.StunServer))
        {
            if (await AdvertisedAddress.QueryStunAsync(o.StunServer, TimeSpan.FromSeconds(3), cancellationToken) is { } mapped && !IPAddress.IsLoopback(mapped))
            {
                return Ready(mapped, "stun", task);
            }

            LogStunFailed(log, o.StunServer);
        }

        return false;
    }

    private bool Ready(IPAddress address, string source, TaskMetadata? task)
    {
        advertisement.MarkReady(address, source, task?.TaskArn, task?.PrivateIp, task?.TaskId);
        LogReady(log, address, source, advertisement.RelayId);
        return true;
    }

    /// <summary>
    /// <c>RELAY_PUBLIC_IP</c> (loopback allowed: it is said outright, for local runs), else a bind address that is
    /// neither any nor loopback. An unparsable <c>RELAY_PUBLIC_IP</c> stops the start with a message naming it.
    /// </summary>
    internal static (IPAddress Address, string Source)? FromConfiguration(RelayOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.PublicIp))
        {
            return IPAddress.TryParse(options.PublicIp, out var configured)
                ? (configured, "configured")
                : throw new InvalidOperationException($"RELAY_PUBLIC_IP '{options.PublicIp}' is not an IP address.");
        }

        var bind = options.BindIPAddress();
        return bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(bind) ? null : (bind, "bind-address");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "advertising {Address} (from {Source}) as relay {RelayId}")]
    private static partial void LogReady(ILogger logger, IPAddress address, string source, string relayId);

    [LoggerMessage(Level = LogLevel.Error, Message = "no address to advertise (task metadata, EC2, RELAY_PUBLIC_IP, STUN all failed or unset): not ready, not registering; retrying in {Seconds} s")]
    private static partial void LogNoAddress(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the task metadata endpoint {Uri} did not answer with task metadata")]
    private static partial void LogMetadataFailed(ILogger logger, Uri uri);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the network interface of {PrivateIp} has no public IP")]
    private static partial void LogNoPublicIp(ILogger logger, IPAddress privateIp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "EC2 DescribeNetworkInterfaces failed: {Message}")]
    private static partial void LogEc2Failed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "STUN query to {StunServer} failed")]
    private static partial void LogStunFailed(ILogger logger, string stunServer);
}
