using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lilium.Testing;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Sdp;

/// <summary>
/// Janus's VideoRoom (<see cref="JanusServer"/>: Debian's <c>janus</c>, ICE-lite like our relay, so the same controlling
/// synthetic peer drives both; host candidates, since libnice skips loopback; a local address still travels the
/// loopback device; no session timeout, periodic keyframe requests off). One room; the publisher sends
/// VP8 on payload type 97; each subscriber is a VideoRoom subscriber handle answering Janus's offer.
/// </summary>
internal sealed class JanusVideoRoom : ISfuUnderTest
{
    public const string Binary = JanusServer.Binary;
    private const int Room = JanusServer.Room;
    private const uint VideoSsrc = 3434957552;

    private readonly JanusServer _server;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private long _session;
    private long _publisherId;
    private Task _poll = Task.CompletedTask;
    private int _transactions;

    private JanusVideoRoom(JanusServer server, HttpClient http)
    {
        _server = server;
        _http = http;
    }

    public string Name => "janus";

    /// <summary>The single stream: VideoRoom's own simulcast (its substream choice per subscriber) is not driven here.</summary>
    public bool Simulcast => false;

    /// <summary>The subscribers' answers negotiate no transport-wide CC: Janus gets receiver reports only.</summary>
    public bool Feedback => false;

    public int ProcessId => _server.ProcessId;

    public static async Task<JanusVideoRoom> StartAsync(string cpu)
    {
        var server = await JanusServer.StartAsync(cpu);
        var http = new HttpClient { BaseAddress = new Uri(server.Api + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var janus = new JanusVideoRoom(server, http);
        await janus.CreateSessionAsync();
        return janus;
    }

    public async Task<BenchPeer> PublishAsync()
    {
        var handle = await AttachAsync();
        var local = IceCredentials.Generate();
        var certificate = DtlsCertificate.Generate("lilium-bench");
        var socket = Bind();
        var offer = $"""
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=group:BUNDLE 0
            m=video 9 UDP/TLS/RTP/SAVPF 97
            c=IN IP4 0.0.0.0
            a=mid:0
            a=sendonly
            a=rtcp-mux
            a=rtpmap:97 VP8/90000
            a=rtcp-fb:97 nack
            a=rtcp-fb:97 nack pli
            a=ssrc:{VideoSsrc} cname:bench
            a=msid:bench video
            a=ice-ufrag:{local.Ufrag}
            a=ice-pwd:{local.Password}
            a=fingerprint:{certificate.Fingerprint}
            a=setup:active
            a={IceCandidate.HostUdp((IPEndPoint)socket.LocalEndPoint!)}

            """.Replace("\n", "\r\n", StringComparison.Ordinal);
        var joined = await MessageAsync(handle, new JsonObject { ["request"] = "joinandconfigure", ["room"] = Room, ["ptype"] = "publisher", ["display"] = "bench" }, Jsep("offer", offer));
        _publisherId = joined["plugindata"]?["data"]?["id"]?.GetValue<long>() ?? throw new InvalidOperationException("Janus did not return a publisher id: " + joined.ToJsonString());
        var answer = joined["jsep"]?["sdp"]?.GetValue<string>() ?? throw new InvalidOperationException("Janus did not answer: " + joined.ToJsonString());
        return await ConnectAsync(socket, local, certificate, answer);
    }

    public async Task<BenchPeer> SubscribeAsync()
    {
        var handle = await AttachAsync();
        var attached = await MessageAsync(handle, new JsonObject
        {
            ["request"] = "join",
            ["room"] = Room,
            ["ptype"] = "subscriber",
            ["streams"] = new JsonArray(new JsonObject { ["feed"] = _publisherId }),
        }, null);
        var offer = attached["jsep"]?["sdp"]?.GetValue<string>() ?? throw new InvalidOperationException("Janus did not offer: " + attached.ToJsonString());
        if (!SdpParser.TryParse(offer, out var parsed, out var error))
        {
            throw new InvalidOperationException("Janus's offer does not parse: " + error);
        }

        var local = IceCredentials.Generate();
        var certificate = DtlsCertificate.Generate("lilium-bench");
        var socket = Bind();
        var answer = new StringBuilder("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
        answer.Append("a=group:BUNDLE ").AppendJoin(' ', parsed!.Media.Where(m => m.Kind == "video").Select(m => m.Mid)).Append("\r\n");
        foreach (var m in parsed.Media)
        {
            var vp8 = m.Kind == "video" ? m.RtpMaps.FirstOrDefault(r => r.Is("VP8")) : null;
            if (vp8 is null)
            {
                answer.Append(CultureInfo.InvariantCulture, $"m={m.Kind} 0 {m.Protocol} {string.Join(' ', m.Formats)}\r\nc=IN IP4 0.0.0.0\r\na=mid:{m.Mid}\r\na=inactive\r\n");
                continue;
            }

            answer.Append($"""
                m=video 9 UDP/TLS/RTP/SAVPF {vp8.PayloadType}
                c=IN IP4 0.0.0.0
                a=mid:{m.Mid}
                a=recvonly
                a=rtcp-mux
                a=rtpmap:{vp8.PayloadType} VP8/90000
                a=ice-ufrag:{local.Ufrag}
                a=ice-pwd:{local.Password}
                a=fingerprint:{certificate.Fingerprint}
                a=setup:active
                a={IceCandidate.HostUdp((IPEndPoint)socket.LocalEndPoint!)}

                """.Replace("\n", "\r\n", StringComparison.Ordinal));
        }

        var connecting = ConnectAsync(socket, local, certificate, offer);
        await MessageAsync(handle, new JsonObject { ["request"] = "start", ["room"] = Room }, Jsep("answer", answer.ToString()));
        return await connecting;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _server.Dispose();
        await _poll.ContinueWith(_ => { }, TaskScheduler.Default);
        _http.Dispose();
        _stop.Dispose();
    }

    // Janus's libnice gathers on the host's interface addresses, never loopback, and its replies to a loopback
    // source do not arrive; so the synthetic peers use the same host address (the traffic still stays on the host).
    private static Socket Bind()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException("no IPv4 interface address for Janus's candidates");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static JsonObject Jsep(string type, string sdp) => new() { ["type"] = type, ["sdp"] = sdp };

    // Janus's SDP names the ICE credentials, fingerprint and host candidates (it gathers before it answers or offers).
    private static async Task<BenchPeer> ConnectAsync(Socket socket, IceCredentials local, DtlsCertificate certificate, string janusSdp)
    {
        if (!SdpParser.TryParse(janusSdp, out var sdp, out var error))
        {
            throw new InvalidOperationException("Janus's SDP does not parse: " + error);
        }

        var media = sdp!.Media.First(m => m.Kind == "video" && m.Port != 0);
        var remoteIce = new IceCredentials(media.IceUfrag ?? sdp.IceUfrag!, media.IcePwd ?? sdp.IcePwd!);
        var candidate = media.Candidates.FirstOrDefault(c => c.Transport.Equals("udp", StringComparison.OrdinalIgnoreCase) && IPAddress.TryParse(c.Address, out var a) && a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException("Janus offered no IPv4 UDP candidate:\n" + janusSdp);
        var remote = new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port);
        return await IceDtlsClient.ConnectAsync(socket, remote, local, remoteIce, certificate, (media.Fingerprint ?? sdp.Fingerprint)!);
    }

    private async Task CreateSessionAsync()
    {
        for (var i = 0; ; i++)
        {
            try
            {
                var created = await PostAsync("", new JsonObject { ["janus"] = "create" });
                _session = created["data"]!["id"]!.GetValue<long>();
                break;
            }
            catch (HttpRequestException) when (i < 100)
            {
                await Task.Delay(100);
            }
        }

        _poll = Task.Run(PollAsync);
    }

    private async Task<long> AttachAsync()
    {
        var attached = await PostAsync($"{_session}", new JsonObject { ["janus"] = "attach", ["plugin"] = "janus.plugin.videoroom" });
        return attached["data"]!["id"]!.GetValue<long>();
    }

    // A plugin message: Janus acks at once and delivers the plugin's answer as an event on the long poll.
    private async Task<JsonNode> MessageAsync(long handle, JsonObject body, JsonObject? jsep)
    {
        var message = new JsonObject { ["janus"] = "message", ["body"] = body };
        if (jsep is not null)
        {
            message["jsep"] = jsep;
        }

        var transaction = NextTransaction();
        var evt = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[transaction] = evt;
        var reply = await PostAsync($"{_session}/{handle}", message, transaction);
        if (reply["janus"]?.GetValue<string>() == "success")
        {
            _pending.TryRemove(transaction, out _);
            return reply;
        }

        var result = await evt.Task.WaitAsync(TimeSpan.FromSeconds(30));
        if (result["plugindata"]?["data"]?["error"] is { } failure)
        {
            throw new InvalidOperationException($"Janus VideoRoom: {failure}");
        }

        return result;
    }

    private async Task<JsonNode> PostAsync(string path, JsonObject request, string? transaction = null)
    {
        request["transaction"] = transaction ?? NextTransaction();
        using var response = await _http.PostAsJsonAsync(path, request);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty Janus reply");
        if (reply["janus"]?.GetValue<string>() == "error")
        {
            throw new InvalidOperationException($"Janus: {reply["error"]}");
        }

        return reply;
    }

    private string NextTransaction() => Interlocked.Increment(ref _transactions).ToString(CultureInfo.InvariantCulture);

    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            JsonNode? events;
            try
            {
                events = JsonNode.Parse(await _http.GetStringAsync($"{_session}?maxev=50", _stop.Token));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(100);
                continue;
            }

            foreach (var evt in events is JsonArray array ? array : new JsonArray(events?.DeepClone()))
            {
                if (evt?["transaction"]?.GetValue<string>() is { } t && _pending.TryRemove(t, out var waiter))
                {
                    waiter.TrySetResult(evt);
                }
                else if (evt?["janus"]?.GetValue<string>() == "hangup")
                {
                    Console.Error.WriteLine("janus: hangup " + evt.ToJsonString());
                }
            }
        }
    }
}
