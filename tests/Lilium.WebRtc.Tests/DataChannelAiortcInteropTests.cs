using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our SCTP association and DCEP against aiortc's (Debian python3-aiortc), with SCTP packets carried
/// in UDP instead of DTLS (see tests/interop/aiortc_sctp_peer.py). aiortc initiates the association,
/// opens an ordered and an unordered partially reliable channel, and echoes; we open channels too,
/// and close one, which aiortc must see.
/// </summary>
[Trait("Category", "Interop")]
public sealed class DataChannelAiortcInteropTests
{
    private const int Count = 50;

    [Fact]
    public async Task Channels_both_ways_with_aiortc()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        EndPoint? peer = null;

        using var transport = new DataChannelTransport(
            new SctpOptions(), packet => { if (peer is not null) { socket.SendTo(packet, SocketFlags.None, peer); } }, useEvenStreamIds: true);
        var received = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var opened = new ConcurrentDictionary<string, DataChannel>();
        var closed = new ConcurrentBag<string>();
        transport.ChannelOpened += ch => opened[ch.Label] = ch;
        transport.ChannelClosed += ch => closed.Add(ch.Label);
        string? closedReason = null;
        transport.Closed += reason => closedReason = reason;
        transport.MessageReceived += (ch, m) =>
        {
            received.GetOrAdd(ch.Label, _ => new ConcurrentQueue<string>()).Enqueue(m.Text);
            if (!m.Text.StartsWith("echo:", StringComparison.Ordinal))
            {
                transport.Send(ch, "echo:" + m.Text);
            }
        };

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var pump = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            while (!cts.IsCancellationRequested)
            {
                SocketReceiveFromResult r;
                try
                {
                    r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                peer = r.RemoteEndPoint;
                transport.Receive(buffer.AsSpan(0, r.ReceivedBytes));
            }
        });

        var script = Path.Combine(AppContext.BaseDirectory, "interop", "aiortc_sctp_peer.py");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(port.ToString());
        psi.ArgumentList.Add(Count.ToString());
        using var python = Process.Start(psi)!;
        var events = new ConcurrentQueue<JsonElement>();
        var stderr = python.StandardError.ReadToEndAsync();
        var reader = Task.Run(async () =>
        {
            while (await python.StandardOutput.ReadLineAsync() is { } line)
            {
                events.Enqueue(JsonDocument.Parse(line).RootElement.Clone());
            }
        });

        try
        {
            await transport.Connected.WaitAsync(cts.Token);
            await Until(() => Count_(received, "chat") == Count && Count_(received, "input") == Count, cts.Token);
            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"chat-{i}"), received["chat"]);
            Assert.Equal(Enumerable.Range(0, Count).Select(i => $"input-{i}").Order(), received["input"].Order());
            Assert.True(opened["chat"].Parameters.Ordered);
            Assert.False(opened["input"].Parameters.Ordered);
            Assert.Equal(0, opened["input"].Parameters.MaxRetransmits);
            Assert.All(opened.Values, ch => Assert.True(ch.Id % 2 == 1, "aiortc as SCTP client uses odd stream ids"));

            // A channel we open: DCEP OPEN -> aiortc ACKs and echoes.
            var mine = await transport.OpenAsync(new DataChannelParameters { Label = "from-dotnet" }, cts.Token);
            Assert.Equal(0, mine.Id % 2);
            Assert.True(transport.Send(mine, "hello aiortc"));
            await Until(() => received.TryGetValue("from-dotnet", out var q) && q.Contains("echo:hello aiortc"), cts.Token);

            // Closing resets our outgoing stream; aiortc sees the close and resets its own in turn.
            var bye = await transport.OpenAsync(new DataChannelParameters { Label = "bye" }, cts.Token);
            transport.Close(bye);
            await python.WaitForExitAsync(cts.Token);
            await reader;
            Assert.Contains("bye", closed);
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill();
            }

            await cts.CancelAsync();
            await pump;
        }

        var log = string.Join('\n', events.Select(e => e.GetRawText())) + "\n" + await stderr;
        var done = events.Single(e => e.GetProperty("event").GetString() == "done");
        Assert.True(Count == done.GetProperty("chat").GetInt32(), log);
        Assert.True(Count == done.GetProperty("input").GetInt32(), log);
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "remote-open" && e.GetProperty("label").GetString() == "from-dotnet");
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "remote-close" && e.GetProperty("label").GetString() == "bye");
        Assert.DoesNotContain(events, e => e.GetProperty("event").GetString() == "timeout");

        // aiortc's stop() aborts the association; we must have understood that ABORT.
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Until(() => transport.State == SctpState.Closed, closing.Token);
        Assert.Equal("peer aborted the association", closedReason);
    }

    private static int Count_(ConcurrentDictionary<string, ConcurrentQueue<string>> received, string label) =>
        received.TryGetValue(label, out var q) ? q.Count(m => !m.StartsWith("echo:", StringComparison.Ordinal)) : 0;

    private static async Task Until(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
