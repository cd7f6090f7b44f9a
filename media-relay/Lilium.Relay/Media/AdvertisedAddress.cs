using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lilium.WebRtc.Stun;

namespace Lilium.Relay.Media;

/// <summary>
/// The address put in our ICE candidate: <c>RELAY_PUBLIC_IP</c> if set; else the
/// XOR-MAPPED-ADDRESS from a Binding request to <c>RELAY_STUN_SERVER</c> (as LiveKit's
/// <c>use_external_ip</c> does, REFERENCE B6); else the bind address (loopback when bound to any).
/// </summary>
internal static class AdvertisedAddress
{
    public static async Task<IPAddress> ResolveAsync(RelayOptions options, ILogger log, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.PublicIp))
        {
            return IPAddress.TryParse(options.PublicIp, out var configured)
                ? configured
                : throw new InvalidOperationException($"RELAY_PUBLIC_IP '{options.PublicIp}' is not an IP address.");
        }

        if (!string.IsNullOrWhiteSpace(options.StunServer))
        {
            var discovered = await QueryStunAsync(options.StunServer, TimeSpan.FromSeconds(3), cancellationToken);
            if (discovered is not null)
            {
                return discovered;
            }

            log.LogWarning("STUN query to {StunServer} failed; advertising the bind address", options.StunServer);
        }

        var bind = options.BindIPAddress();
        return bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : bind;
    }

    /// <summary>Sends a Binding request (three tries) and returns the mapped address, or null.</summary>
    public static async Task<IPAddress?> QueryStunAsync(string server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var colon = server.LastIndexOf(':');
        var host = colon > 0 ? server[..colon] : server;
        var port = colon > 0 && int.TryParse(server[(colon + 1)..], out var p) ? p : 3478;
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }

        if (addresses.Length == 0)
        {
            return null;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        var target = new IPEndPoint(addresses[0], port);
        var transactionId = RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);
        var request = new byte[StunMessage.HeaderSize];
        _ = new StunWriter(request, StunMessageType.BindingRequest, transactionId).Length;
        var response = new byte[1024];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await socket.SendToAsync(request, SocketFlags.None, target, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout / 3);
            try
            {
                var n = await socket.ReceiveAsync(response, SocketFlags.None, wait.Token);
                if (StunMessage.TryParse(response.AsSpan(0, n), out var message) && message.Type == StunMessageType.BindingSuccess
                    && message.TransactionId.SequenceEqual(transactionId) && message.XorMappedAddress() is { } mapped)
                {
                    return mapped.Address;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
            }
        }

        return null;
    }
}
