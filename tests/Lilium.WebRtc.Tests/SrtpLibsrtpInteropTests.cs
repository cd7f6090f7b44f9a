using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our SRTP/SRTCP against libsrtp (the implementation browsers' stacks descend from), through
/// tests/interop/libsrtp_peer.py: each side unprotects what the other protected, across a
/// sequence-number wrap (so the rollover counters must agree), for both profiles.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SrtpLibsrtpInteropTests
{
    private static byte[] Rtp(ushort seq, uint ssrc, int payload)
    {
        var p = new byte[12 + payload];
        p[0] = 0x80;
        p[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), (uint)seq * 3000);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), ssrc);
        for (var i = 12; i < p.Length; i++)
        {
            p[i] = (byte)(seq + i);
        }

        return p;
    }

    private static byte[] Rtcp(uint ssrc, int i)
    {
        // A receiver report with one report block.
        var p = new byte[32];
        p[0] = 0x81;
        p[1] = 201;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 7);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), 0xCAFEBABE);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), (uint)i);
        return p;
    }

    private static List<byte[]> RtpStream() =>
        [.. Enumerable.Range(0, 300).Select(i => Rtp((ushort)(0xFF80 + i), 0x11223344, 1 + (i * 13 % 1100)))];

    private static List<byte[]> RtcpStream() => [.. Enumerable.Range(0, 20).Select(i => Rtcp(0x11223344, i))];

    private static async Task<(List<byte[]?> Rtp, List<byte[]?> Rtcp)> Libsrtp(string profile, byte[] key, byte[] salt, string op, List<byte[]> rtp, List<byte[]> rtcp)
    {
        var request = new JsonObject
        {
            ["profile"] = profile,
            ["key"] = Convert.ToHexString(key),
            ["salt"] = Convert.ToHexString(salt),
            ["op"] = op,
            ["rtp"] = new JsonArray([.. rtp.Select(p => (JsonNode)Convert.ToHexString(p))]),
            ["rtcp"] = new JsonArray([.. rtcp.Select(p => (JsonNode)Convert.ToHexString(p))]),
        };
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "interop", "libsrtp_peer.py"));
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(request.ToJsonString());
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        var result = JsonNode.Parse(output)!;
        static List<byte[]?> Read(JsonNode? n) => [.. n!.AsArray().Select(x => x is null ? null : Convert.FromHexString(x.GetValue<string>()))];
        return (Read(result["rtp"]), Read(result["rtcp"]));
    }

    [Theory]
    [InlineData("cm80", SrtpProtectionProfile.Aes128CmHmacSha1_80)]
    [InlineData("gcm128", SrtpProtectionProfile.AeadAes128Gcm)]
    public async Task Libsrtp_reads_what_we_protect(string name, SrtpProtectionProfile profile)
    {
        var key = RandomNumberGenerator.GetBytes(profile.KeyLength());
        var salt = RandomNumberGenerator.GetBytes(profile.SaltLength());
        using var session = new SrtpSession(profile, key, salt);
        var rtp = RtpStream();
        var rtcp = RtcpStream();
        var protectedRtp = rtp.Select(p => Protect(p, session.RtpOverhead, (b, l) => (session.TryProtectRtp(b, l, out var n), n))).ToList();
        var protectedRtcp = rtcp.Select(p => Protect(p, session.RtcpOverhead, (b, l) => (session.TryProtectRtcp(b, l, out var n), n))).ToList();

        var (plainRtp, plainRtcp) = await Libsrtp(name, key, salt, "unprotect", protectedRtp, protectedRtcp);
        Assert.Equal<byte[]?>(rtp, plainRtp);
        Assert.Equal<byte[]?>(rtcp, plainRtcp);
    }

    [Theory]
    [InlineData("cm80", SrtpProtectionProfile.Aes128CmHmacSha1_80)]
    [InlineData("gcm128", SrtpProtectionProfile.AeadAes128Gcm)]
    public async Task We_read_what_libsrtp_protects_and_refuse_replays_and_forgeries(string name, SrtpProtectionProfile profile)
    {
        var key = RandomNumberGenerator.GetBytes(profile.KeyLength());
        var salt = RandomNumberGenerator.GetBytes(profile.SaltLength());
        var rtp = RtpStream();
        var rtcp = RtcpStream();
        var (srtp, srtcp) = await Libsrtp(name, key, salt, "protect", rtp, rtcp);
        using var session = new SrtpSession(profile, key, salt);

        for (var i = 0; i < rtp.Count; i++)
        {
            var buffer = (byte[])srtp[i]!.Clone();
            Assert.True(session.TryUnprotectRtp(buffer, buffer.Length, out var n), $"rtp {i}");
            Assert.Equal(rtp[i], buffer[..n]);
        }

        for (var i = 0; i < rtcp.Count; i++)
        {
            var buffer = (byte[])srtcp[i]!.Clone();
            Assert.True(session.TryUnprotectRtcp(buffer, buffer.Length, out var n), $"rtcp {i}");
            Assert.Equal(rtcp[i], buffer[..n]);
        }

        var replay = (byte[])srtp[^1]!.Clone();
        Assert.False(session.TryUnprotectRtp(replay, replay.Length, out _));
        var rtcpReplay = (byte[])srtcp[^1]!.Clone();
        Assert.False(session.TryUnprotectRtcp(rtcpReplay, rtcpReplay.Length, out _));

        // Every single-bit flip in a fresh packet is refused (header, payload, tag or trailer).
        using var fresh = new SrtpSession(profile, key, salt);
        var original = srtp[5]!;
        for (var bit = 0; bit < original.Length * 8; bit++)
        {
            var copy = (byte[])original.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(fresh.TryUnprotectRtp(copy, copy.Length, out _), $"bit {bit}");
        }

        var ok = (byte[])original.Clone();
        Assert.True(fresh.TryUnprotectRtp(ok, ok.Length, out _));
    }

    [Fact]
    public void Hostile_packets_never_throw()
    {
        using var session = new SrtpSession(SrtpProtectionProfile.Aes128CmHmacSha1_80, new byte[16], new byte[14]);
        using var gcm = new SrtpSession(SrtpProtectionProfile.AeadAes128Gcm, new byte[16], new byte[12]);
        var rng = new Random(9);
        for (var i = 0; i < 20_000; i++)
        {
            var packet = new byte[rng.Next(0, 300)];
            rng.NextBytes(packet);
            if (packet.Length > 0 && rng.Next(2) == 0)
            {
                packet[0] = (byte)(0x80 | (packet[0] & 0x3F));
            }

            session.TryUnprotectRtp((byte[])packet.Clone(), packet.Length, out _);
            session.TryUnprotectRtcp((byte[])packet.Clone(), packet.Length, out _);
            gcm.TryUnprotectRtp((byte[])packet.Clone(), packet.Length, out _);
            gcm.TryUnprotectRtcp((byte[])packet.Clone(), packet.Length, out _);
            session.TryProtectRtp(new byte[packet.Length], packet.Length, out _);
        }
    }

    private static byte[] Protect(byte[] plain, int overhead, Func<byte[], int, (bool Ok, int Length)> protect)
    {
        var buffer = new byte[plain.Length + overhead];
        plain.CopyTo(buffer, 0);
        var (ok, n) = protect(buffer, plain.Length);
        Assert.True(ok);
        return buffer[..n];
    }
}
