namespace Lilium.WebRtc.Dtls;

/// <summary>Sends one datagram to the peer (the shared UDP socket, towards the selected ICE pair).</summary>
public delegate void DatagramSender(ReadOnlySpan<byte> datagram);
