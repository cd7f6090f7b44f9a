using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Lilium.WebRtc.Stun;

namespace Lilium.WebRtc.Ice;

/// <summary>Sends one datagram to <paramref name="remote"/> (the owner's socket); must not throw.</summary>
public delegate void IceSend(ReadOnlySpan<byte> datagram, IPEndPoint remote);

/// <summary>A remote candidate the owner can reach (RFC 8445 §5.3): its address, priority and foundation.</summary>
public sealed record IceRemoteCandidate(IPEndPoint EndPoint, uint Priority, string Foundation = "1");

/// <summary>Where a <see cref="IceControllingAgent"/> is (RFC 8445 §6.1.3, RFC 7675).</summary>
public enum IceAgentState : byte
{
    /// <summary>Connectivity checks are running.</summary>
    Checking,
    /// <summary>A pair is nominated; media may flow while consent holds.</summary>
    Connected,
    /// <summary>Every pair failed, or consent was lost: nothing may be sent any more.</summary>
    Failed,
}

/// <summary>Timing of a <see cref="IceControllingAgent"/>; the defaults are the RFCs'.</summary>
public sealed record IceAgentOptions
{
    /// <summary>Ta, the pacing of new checks (RFC 8445 §14.2: 50 ms).</summary>
    public TimeSpan Ta { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The least retransmission timeout of a check (RFC 8445 §14.3: 500 ms).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Transmissions of one check before the pair fails (RFC 5389 §7.2.1 Rc: 7).</summary>
    public int MaxTransmissions { get; init; } = 7;

    /// <summary>How many RTOs the last transmission waits for its answer (RFC 5389 §7.2.1 Rm: 16).</summary>
    public int LastWaitRtos { get; init; } = 16;

    /// <summary>The mean interval of consent checks, randomised ±20 % (RFC 7675 §5.1: 5 s).</summary>
    public TimeSpan ConsentInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long consent lasts after the last check that was answered was sent (RFC 7675 §5.1: 30 s).</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The controlling side of ICE against an ICE-lite peer (RFC 8445 §6.1, §7.2; the relay is lite, RFC 8445 §2.5): one
/// local host candidate and component (BUNDLE, rtcp-mux), a pair per remote candidate ordered by pair priority
/// (§6.1.2.3), one new check every Ta, each retransmitted from an RTO of max(500 ms, N·Ta·pairs) doubling, up to Rc = 7
/// transmissions and Rm = 16 RTOs after the last (§14.3, RFC 5389 §7.2.1); the first pair that answers is nominated by a check with USE-CANDIDATE (regular nomination,
/// §8.1.1); then consent freshness (RFC 7675): a check every 5 s ± 20 %, consent lost 30 s after the last answered
/// one was sent, or at once on an error answer (the peer no longer knows us). The checks it sends are
/// <see cref="IceCheck"/>'s; the checks it receives (a lite peer checks a new address of ours before it moves media
/// there) are answered by an <see cref="IceLiteAgent"/>, the same responder the relay runs.
/// <para>Sans-I/O apart from time: the owner feeds datagrams to <see cref="Receive"/> and sends through the
/// <see cref="IceSend"/> it gave; <see cref="Poll"/> (or <see cref="RunAsync"/>, which calls it on a
/// <see cref="TimeProvider"/>) sends what is due. Thread-safe.</para>
/// </summary>
public sealed class IceControllingAgent
{
    private readonly Lock _gate = new();
    private readonly IceCredentials _local;
    private readonly IceCredentials _remote;
    private readonly IceSend _send;
    private readonly IceAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly IceLiteAgent _responder;
    private readonly ulong _tieBreaker;
    private readonly List<Pair> _pairs;
    private readonly List<Transaction> _transactions = [];
    private readonly TaskCompletionSource<IPEndPoint> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextCheckMs;
    private long _nextConsentMs;
    private long _consentExpiresMs;
    private Pair? _nominating;

    /// <param name="local">Our ufrag and password (the offer's).</param>
    /// <param name="remote">The peer's (the answer's).</param>
    /// <param name="candidates">The peer's candidates this owner can reach (UDP, as the owner sends datagrams).</param>
    /// <param name="localPriority">Our candidate's priority (a host candidate: <see cref="IceCandidate.HostPriority"/>).</param>
    public IceControllingAgent(IceCredentials local, IceCredentials remote, IReadOnlyList<IceRemoteCandidate> candidates, IceSend send, TimeProvider? time = null, IceAgentOptions? options = null, uint localPriority = IceCandidate.HostPriority)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("ICE needs at least one remote candidate.", nameof(candidates));
        }

        _local = local;
        _remote = remote;
        _send = send;
        _options = options ?? new IceAgentOptions();
        _time = time ?? TimeProvider.System;
        _responder = new IceLiteAgent(local, remote.Ufrag);
        _tieBreaker = BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(8));
        LocalPriority = localPriority;
        _pairs = candidates
            .DistinctBy(c => c.EndPoint)
            .Select(c => new Pair(c, PairPriority(localPriority, c.Priority)))
            .OrderByDescending(p => p.Priority)
            .ToList();
    }

    /// <summary>The priority our checks carry (PRIORITY attribute).</summary>
    public uint LocalPriority { get; }

    /// <summary>The remote address of the nominated pair, once <see cref="State"/> is Connected.</summary>
    public IPEndPoint? Selected { get; private set; }

    public IceAgentState State { get; private set; } = IceAgentState.Checking;

    /// <summary>Completes with the selected remote address; faults with <see cref="IceFailedException"/> when every pair failed.</summary>
    public Task<IPEndPoint> Connected => _connected.Task;

    /// <summary>Completes with a reason when the agent reaches Failed (no pair, or consent lost after connecting).</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>RFC 8445 §6.1.2.3 with us controlling: 2³²·min(G,D) + 2·max(G,D) + (G &gt; D ? 1 : 0).</summary>
    public static ulong PairPriority(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + (2ul * Math.Max(controlling, controlled)) + (controlling > controlled ? 1ul : 0ul);

    /// <summary>
    /// Handles one datagram classified as STUN from <paramref name="source"/>: an answer to one of our checks, or a
    /// check from the peer, which is answered. False when it was neither (not STUN, or an answer to nothing pending).
    /// </summary>
    public bool Receive(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        if (!StunMessage.TryParse(datagram, out var message))
        {
            return false;
        }

        if (message.Type == StunMessageType.BindingRequest)
        {
            Span<byte> response = stackalloc byte[IceLiteAgent.MaxResponseSize];
            IceCheckOutcome outcome;
            int length;
            lock (_gate)
            {
                outcome = _responder.Handle(datagram, source, NowMs(), response, out length);
            }

            if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated or IceCheckOutcome.Rejected)
            {
                _send(response[..length], source);
                return true;
            }

            return false;
        }

        if (message.Type is not (StunMessageType.BindingSuccess or StunMessageType.BindingError))
        {
            return false;
        }

        Span<byte> id = stackalloc byte[StunMessage.TransactionIdSize];
        message.TransactionId.CopyTo(id);
        var errorCode = message.ErrorCode();
        lock (_gate)
        {
            Transaction? transaction = null;
            foreach (var t in _transactions)
            {
                if (t.Id.AsSpan().SequenceEqual(id))
                {
                    transaction = t;
                    break;
                }
            }

            if (transaction is null || !transaction.Pair.Candidate.EndPoint.Equals(source))
            {
                return false; // not ours, or not from where we sent it (§7.2.5.2.1: addresses must be symmetric)
            }

            var success = IceCheck.IsAuthenticatedSuccess(datagram, transaction.Id, _remote);
            if (!success && message.Type == StunMessageType.BindingSuccess)
            {
                return false; // a success that does not verify is not an answer (§7.2.5.2): keep retransmitting
            }

            _transactions.Remove(transaction);
            OnAnswered(transaction, success, errorCode);
            return true;
        }
    }

    /// <summary>Sends what is due at the agent's clock and returns the milliseconds until the next deadline (-1: none, the agent has ended).</summary>
    public long Poll()
    {
        lock (_gate)
        {
            var now = NowMs();
            PollLocked(now);
            return NextDeadline(now);
        }
    }

    /// <summary>Runs <see cref="Poll"/> on the agent's <see cref="TimeProvider"/> until the agent fails or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task wake;
            lock (_gate)
            {
                wake = _wake.Task;
            }

            var wait = Poll();
            if (wait < 0)
            {
                return;
            }

            try
            {
                await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, wait)), _time, cancellationToken), wake).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops: pending checks are dropped, nothing more is sent.</summary>
    public void Close(string reason)
    {
        lock (_gate)
        {
            Fail(reason);
        }
    }

    private long NowMs() => (long)_time.GetElapsedTime(0).TotalMilliseconds;

    private void PollLocked(long now)
    {
        if (State == IceAgentState.Failed)
        {
            return;
        }

        foreach (var transaction in _transactions.ToArray())
        {
            if (now < transaction.NextSendMs)
            {
                continue;
            }

            if (transaction.Transmissions >= _options.MaxTransmissions)
            {
                _transactions.Remove(transaction);
                OnTimedOut(transaction);
                if (State == IceAgentState.Failed)
                {
                    return;
                }

                continue;
            }

            Transmit(transaction, now);
        }

        if (State == IceAgentState.Checking && _nominating is null && now >= _nextCheckMs
            && _pairs.FirstOrDefault(p => p.State == PairState.Waiting) is { } next)
        {
            next.State = PairState.InProgress;
            Start(next, useCandidate: false, TransactionKind.Check, now);
            _nextCheckMs = now + (long)_options.Ta.TotalMilliseconds;
        }

        if (State == IceAgentState.Connected)
        {
            if (now >= _consentExpiresMs)
            {
                Fail("ICE consent expired: the peer answered no check for " + (long)_options.ConsentTimeout.TotalSeconds + " s (RFC 7675)");
                return;
            }

            if (now >= _nextConsentMs)
            {
                _transactions.RemoveAll(t => t.Kind == TransactionKind.Consent); // each consent check has its own transaction
                Start(_pairs.First(p => p.Candidate.EndPoint.Equals(Selected)), useCandidate: false, TransactionKind.Consent, now);
                _nextConsentMs = now + ConsentDelayMs();
            }
        }
    }

    private long NextDeadline(long now)
    {
        if (State == IceAgentState.Failed)
        {
            return -1;
        }

        var next = long.MaxValue;
        foreach (var transaction in _transactions)
        {
            next = Math.Min(next, transaction.NextSendMs);
        }

        if (State == IceAgentState.Checking && _nominating is null && _pairs.Any(p => p.State == PairState.Waiting))
        {
            next = Math.Min(next, _nextCheckMs);
        }

        if (State == IceAgentState.Connected)
        {
            next = Math.Min(next, Math.Min(_nextConsentMs, _consentExpiresMs));
        }

        return next == long.MaxValue ? 1000 : Math.Max(0, next - now);
    }

    private void Start(Pair pair, bool useCandidate, TransactionKind kind, long now)
    {
        var transaction = new Transaction(IceCheck.NewTransactionId(), pair, useCandidate, kind) { Rto = Rto(kind) };
        transaction.Length = IceCheck.WriteRequest(transaction.Request, transaction.Id, _remote, _local.Ufrag, controlling: true, _tieBreaker, LocalPriority, useCandidate);
        transaction.SentAtMs = now;
        _transactions.Add(transaction);
        Transmit(transaction, now);
        Wake(); // the run loop may sleep past this transaction's first retransmission
    }

    // Deadlines moved earlier (a new transaction, the first consent check, the end): the run loop polls again now.
    private void Wake()
    {
        _wake.TrySetResult();
        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // RFC 8445 §14.3: RTO = max(500 ms, N · Ta · (pairs Waiting or In-Progress)); consent checks use the least RTO.
    private long Rto(TransactionKind kind)
    {
        var active = kind == TransactionKind.Consent ? 0 : _pairs.Count(p => p.State is PairState.Waiting or PairState.InProgress);
        return Math.Max((long)_options.MinRto.TotalMilliseconds, (long)(_options.Ta.TotalMilliseconds * active));
    }

    private void Transmit(Transaction transaction, long now)
    {
        transaction.Transmissions++;
        transaction.NextSendMs = now + (transaction.Transmissions < _options.MaxTransmissions
            ? transaction.Rto << (transaction.Transmissions - 1)
            : transaction.Rto * _options.LastWaitRtos); // after the last, Rm·RTO for its answer
        _send(transaction.Request.AsSpan(0, transaction.Length), transaction.Pair.Candidate.EndPoint);
    }

    private void OnAnswered(Transaction transaction, bool success, int? errorCode)
    {
        var now = NowMs();
        switch (transaction.Kind)
        {
            case TransactionKind.Check when success:
                transaction.Pair.State = PairState.Succeeded;
                if (State == IceAgentState.Checking && _nominating is null)
                {
                    // Regular nomination (§8.1.1): the first valid pair, again with USE-CANDIDATE.
                    _nominating = transaction.Pair;
                    Start(transaction.Pair, useCandidate: true, TransactionKind.Nomination, now);
                }

                break;
            case TransactionKind.Check:
                transaction.Pair.State = PairState.Failed;
                transaction.Pair.Error = errorCode;
                FailIfNothingLeft();
                break;
            case TransactionKind.Nomination when success && State == IceAgentState.Checking:
                Selected = transaction.Pair.Candidate.EndPoint;
                State = IceAgentState.Connected;
                _consentExpiresMs = transaction.SentAtMs + (long)_options.ConsentTimeout.TotalMilliseconds;
                _nextConsentMs = now + ConsentDelayMs();
                _transactions.RemoveAll(t => t.Kind == TransactionKind.Check);
                _connected.TrySetResult(Selected);
                Wake();
                break;
            case TransactionKind.Nomination:
                transaction.Pair.State = PairState.Failed;
                transaction.Pair.Error = errorCode;
                _nominating = null;
                FailIfNothingLeft();
                break;
            case TransactionKind.Consent when success:
                _consentExpiresMs = Math.Max(_consentExpiresMs, transaction.SentAtMs + (long)_options.ConsentTimeout.TotalMilliseconds);
                break;
            case TransactionKind.Consent:
                Fail($"ICE consent revoked: the peer answered a consent check with error {errorCode} (RFC 7675)");
                break;
        }
    }

    private void OnTimedOut(Transaction transaction)
    {
        switch (transaction.Kind)
        {
            case TransactionKind.Check:
                transaction.Pair.State = PairState.Failed;
                FailIfNothingLeft();
                break;
            case TransactionKind.Nomination:
                transaction.Pair.State = PairState.Failed;
                _nominating = null;
                FailIfNothingLeft();
                break;
            case TransactionKind.Consent:
                break; // consent expires on its own clock
        }
    }

    private void FailIfNothingLeft()
    {
        if (State == IceAgentState.Checking && _nominating is null && _pairs.All(p => p.State is PairState.Failed or PairState.Succeeded)
            && !_transactions.Any(t => t.Kind != TransactionKind.Consent))
        {
            if (_pairs.FirstOrDefault(p => p.State == PairState.Succeeded) is { } valid)
            {
                _nominating = valid; // a pair answered but its nomination did not: nominate again
                Start(valid, useCandidate: true, TransactionKind.Nomination, NowMs());
                return;
            }

            var refused = _pairs.FirstOrDefault(p => p.Error is not null);
            Fail(refused is null
                ? $"No ICE answer from {string.Join(", ", _pairs.Select(p => p.Candidate.EndPoint))} (UDP blocked, or the peer is down)"
                : $"The peer refused our ICE checks (error {refused.Error}: wrong credentials or unknown peer)");
        }
    }

    private void Fail(string reason)
    {
        if (State == IceAgentState.Failed)
        {
            return;
        }

        State = IceAgentState.Failed;
        _transactions.Clear();
        _connected.TrySetException(new IceFailedException(reason));
        _ = _connected.Task.Exception; // observed: an owner that already connected does not await it again
        _ended.TrySetResult(reason);
        Wake();
    }

    private long ConsentDelayMs()
    {
        var mean = _options.ConsentInterval.TotalMilliseconds;
        return (long)(mean * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    private enum PairState : byte
    {
        Waiting,
        InProgress,
        Succeeded,
        Failed,
    }

    private enum TransactionKind : byte
    {
        Check,
        Nomination,
        Consent,
    }

    private sealed class Pair(IceRemoteCandidate candidate, ulong priority)
    {
        public IceRemoteCandidate Candidate { get; } = candidate;
        public ulong Priority { get; } = priority;
        public PairState State { get; set; }
        public int? Error { get; set; }
    }

    private sealed class Transaction(byte[] id, Pair pair, bool useCandidate, TransactionKind kind)
    {
        public byte[] Id { get; } = id;
        public Pair Pair { get; } = pair;
        public bool UseCandidate { get; } = useCandidate;
        public TransactionKind Kind { get; } = kind;
        public byte[] Request { get; } = new byte[IceCheck.MaxRequestSize];
        public int Length { get; set; }
        public long Rto { get; init; }
        public int Transmissions { get; set; }
        public long SentAtMs { get; set; }
        public long NextSendMs { get; set; }
    }
}

/// <summary>ICE could not connect (every candidate pair failed) or lost consent.</summary>
public sealed class IceFailedException(string message) : Exception(message);
