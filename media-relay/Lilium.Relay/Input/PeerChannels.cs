using Lilium.Auth;
using Lilium.Input;
using Lilium.WebRtc.DataChannels;
using Lilium.Protocol;

namespace Lilium.Relay.Input;

/// <summary>
/// The data-channel side of one relay peer: its SCTP association and the channels the relay uses.
/// A viewer has an <c>input</c> channel, an <see cref="InputGate"/> and a <c>control</c> channel (its video hint); a
/// host has an <c>input</c> channel (events forwarded to it) and a <c>control</c> channel (grant changes). The gate is
/// guarded by <see cref="Gate"/>'s own lock: events arrive on the media loop, grant changes on the
/// host's, and releases must not interleave with a viewer's event.
/// </summary>
internal sealed class PeerChannels(DataChannelTransport transport, Guid user, InputPermissions permissions, SessionKeys sessionKeys)
{
    private DataChannel? _input;
    private DataChannel? _control;

    public DataChannelTransport Transport { get; } = transport;

    /// <summary>The user the peer's relay grant names.</summary>
    public Guid User { get; } = user;

    public InputGate Gate { get; } = new(permissions, sessionKeys);

    public Lock GateLock { get; } = new();

    public DataChannel? Input
    {
        get => Volatile.Read(ref _input);
        set => Volatile.Write(ref _input, value);
    }

    public DataChannel? Control
    {
        get => Volatile.Read(ref _control);
        set => Volatile.Write(ref _control, value);
    }

    /// <summary>Sequence numbers of events the relay writes into Forwarded envelopes for the host.</summary>
    public ushort NextSequence() => (ushort)Interlocked.Increment(ref _sequence);

    private int _sequence;
}
