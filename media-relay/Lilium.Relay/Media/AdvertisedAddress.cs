using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lilium.WebRtc.Stun;

namespace Lilium.Relay.Media;

/// <summary>
/// The STUN half of address discovery (<see cref="Fleet.AddressDiscoveryService"/>): the XOR-MAPPED-ADDRESS from a
/// Binding request to <c>RELAY_STUN_SERVER</c> (as LiveKit's <c>use_external_ip</c> does, REFERENCE B6).
/// </summary>
internal static class AdvertisedAddress
{
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
