using System.Buffers.Binary;
using Lilium.Fuzz.Targets;
using Lilium.Input;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

namespace Lilium.Fuzz;

/// <summary>
/// Seeds made by our own code, for the targets whose valid inputs need it (keys, checksums, a live
/// handshake) or have no test fixture: `Lilium.Fuzz seeds fuzz/corpus` writes them; fuzz/make-corpus.py
/// writes the others from the test fixtures. Each seed is one small valid input.
/// </summary>
public static class Seeds
{
    public static void Write(string corpusRoot)
    {
        Save(corpusRoot, "dtls", DtlsTarget.SeedInputs());
        Save(corpusRoot, "srtp", Srtp(corpusRoot));
        Save(corpusRoot, "sctp", SctpTarget.CapturePackets());
        Save(corpusRoot, "input", Input());
        Save(corpusRoot, "signaling", Signaling().Select(s => System.Text.Encoding.UTF8.GetBytes(s)));
    }

    private static void Save(string root, string target, IEnumerable<byte[]> seeds)
    {
        var dir = Path.Combine(root, target);
        Directory.CreateDirectory(dir);
        var i = 0;
        foreach (var seed in seeds)
        {
            File.WriteAllBytes(Path.Combine(dir, $"gen-{i++:D3}"), seed);
        }

        Console.WriteLine($"seeds: {target}: {i} generated");
    }

    // RTP and RTCP fixtures (written by make-corpus.py first), plain for the protect-first cases and
    // protected with the harness's fixed key for the as-received cases.
    private static IEnumerable<byte[]> Srtp(string root)
    {
        foreach (var (kind, rtcpBit) in new[] { ("rtp", 0), ("rtcp", 2) })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(root, kind)).Order(StringComparer.Ordinal).Take(3))
            {
                var plain = File.ReadAllBytes(file);
                foreach (var profileBit in new[] { 0, 1 })
                {
                    yield return [(byte)(4 | rtcpBit | profileBit), .. plain];
                    using var sender = SrtpTarget.Session(profileBit == 0 ? SrtpProtectionProfile.Aes128CmHmacSha1_80 : SrtpProtectionProfile.AeadAes128Gcm);
                    var buffer = new byte[plain.Length + 64];
                    plain.CopyTo(buffer, 0);
                    if (rtcpBit == 0 ? sender.TryProtectRtp(buffer, plain.Length, out var n) : sender.TryProtectRtcp(buffer, plain.Length, out n))
                    {
                        yield return [(byte)(rtcpBit | profileBit), .. buffer.AsSpan(0, n)];
                    }
                }
            }
        }
    }

    private static IEnumerable<byte[]> Input()
    {
        static byte[] Event(InputEventType type, params byte[] payload)
        {
            var e = new byte[InputWire.HeaderSize + payload.Length];
            InputWire.WriteHeader(e, type, 7);
            payload.CopyTo(e, InputWire.HeaderSize);
            return e;
        }

        var key = Event(InputEventType.KeyDown, 0x00, 0x04, 0x00, 0x00);
        yield return key;
        yield return Event(InputEventType.KeyUp, 0x00, 0x04, 0x00, 0x00);
        yield return Event(InputEventType.KeyDown, 0x00, 0x2B, 0x04, 0x00); // Alt+Tab: needs immersion
        yield return Event(InputEventType.MouseMoveAbsolute, 0x80, 0x00, 0x40, 0x00);
        yield return Event(InputEventType.MouseMoveRelative, 0xFF, 0xF6, 0x00, 0x0A);
        yield return Event(InputEventType.MouseButtonDown, 0x00, 0x00);
        yield return Event(InputEventType.MouseButtonUp, 0x00, 0x00);
        yield return Event(InputEventType.MouseWheel, 0x00, 0x00, 0x00, 0x78);
        var pad = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(pad.AsSpan(2), 0x1000); // buttons: A
        yield return Event(InputEventType.ControllerState, [0x00, 0x00, .. pad[2..]]);
        yield return Event(InputEventType.ControllerDisconnected, 0x00, 0x00);
        var forwarded = new byte[InputWire.ForwardedOverhead + key.Length];
        InputWire.WriteForwarded(forwarded, Guid.Parse("0d9b3c52-8f3e-4a8e-9f65-3b0e7f2b8a11"), 9, key);
        yield return forwarded;
        yield return [.. new byte[20], 0x0F]; // 21 bytes: a grant change to everything
    }

    private static IEnumerable<string> Signaling() =>
    [
        """{"v":1,"action":"ping","id":"1"}""",
        """{"v":1,"action":"presence.list","id":"2"}""",
        """{"v":1,"action":"chat.hello","id":"3","to":"6c0a3c1e-8d57-4a47-9d0a-52f1c1e0b6a7","payload":"aGVsbG8="}""",
        """{"v":1,"action":"chat.msg","id":"4","to":"6c0a3c1e-8d57-4a47-9d0a-52f1c1e0b6a7","payload":"Y2lwaGVydGV4dA=="}""",
        """{"v":1,"action":"join.request","id":"5","sessionId":"1f7c2a5e-3b9d-4c61-8e2f-0a9d7b6c5e4d"}""",
        """{"v":1,"action":"join.accept","id":"6","sessionId":"1f7c2a5e-3b9d-4c61-8e2f-0a9d7b6c5e4d","requestId":"r1","permissions":{"keyboard":true,"mouse":true,"controller":false,"immersion":false}}""",
        """{"v":1,"action":"rtc.offer","id":"7","to":"6c0a3c1e-8d57-4a47-9d0a-52f1c1e0b6a7","sdp":"v=0\r\n"}""",
        """{"v":1,"action":"grant.update","id":"8","sessionId":"1f7c2a5e-3b9d-4c61-8e2f-0a9d7b6c5e4d","session":{"x":[1,2,3]}}""",
        """{"action":"session.end"}""",
    ];
}
