using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

// SRTP per-packet cost: protect and unprotect of one RTP packet (12-byte header + payload) and one 52-byte RTCP
// compound, per protection profile, in one thread; ns/packet as the median of --rounds rounds of --packets packets,
// plus the bytes allocated per packet in the steady state. Bounded: rounds × packets × profiles × sizes.
var options = new BenchArgs(args);
var packets = options.Number("--packets", 20_000);
var rounds = options.Number("--rounds", 9);
var output = options.Text("--out", "");
int[] sizes = [160, 1200];

var results = new JsonArray();
foreach (var profile in new[] { SrtpProtectionProfile.Aes128CmHmacSha1_80, SrtpProtectionProfile.AeadAes128Gcm })
{
    foreach (var payload in sizes)
    {
        var row = Measure(profile, payload, packets, rounds);
        results.Add(row);
        Console.Error.WriteLine(row.ToJsonString());
    }
}

var document = new JsonObject
{
    ["benchmark"] = "srtp",
    ["method"] = $"one thread, median of {rounds} rounds of {packets} packets; a fresh sequence number per packet; unprotect of what protect produced",
    ["runtime"] = Environment.Version.ToString(),
    ["results"] = results,
};
var text = document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
if (output.Length > 0)
{
    File.WriteAllText(output, text + "\n");
}

Console.WriteLine(text);

static JsonObject Measure(SrtpProtectionProfile profile, int payload, int packets, int rounds)
{
    var key = new byte[profile.KeyLength()];
    var salt = new byte[profile.SaltLength()];
    Random.Shared.NextBytes(key);
    Random.Shared.NextBytes(salt);
    using var sender = new SrtpSession(profile, key, salt);
    using var receiver = new SrtpSession(profile, key, salt);
    var plain = new byte[12 + payload];
    plain[0] = 0x80;
    plain[1] = 96;
    plain[8] = 0x12; // SSRC
    Random.Shared.NextBytes(plain.AsSpan(12));
    var wire = new byte[plain.Length + 64];
    var rtcp = new byte[52 + 64];
    rtcp[0] = 0x81;
    rtcp[1] = 201;
    rtcp[3] = 12;
    rtcp[7] = 0x12;

    ushort seq = 0;
    var protect = new List<double>();
    var unprotect = new List<double>();
    var protectRtcp = new List<double>();
    long allocated = 0;
    for (var round = 0; round < rounds + 1; round++)
    {
        double protectTicks = 0, unprotectTicks = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < packets; i++)
        {
            plain.CopyTo(wire, 0);
            wire[2] = (byte)(seq >> 8);
            wire[3] = (byte)seq;
            seq++;
            var t0 = Stopwatch.GetTimestamp();
            if (!sender.TryProtectRtp(wire, plain.Length, out var n))
            {
                throw new InvalidOperationException("protect failed");
            }

            var t1 = Stopwatch.GetTimestamp();
            if (!receiver.TryUnprotectRtp(wire, n, out _))
            {
                throw new InvalidOperationException("unprotect failed");
            }

            var t2 = Stopwatch.GetTimestamp();
            protectTicks += t1 - t0;
            unprotectTicks += t2 - t1;
        }

        var rtcpStart = Stopwatch.GetTimestamp();
        for (var i = 0; i < packets; i++)
        {
            rtcp.AsSpan(0, 52).Clear();
            rtcp[0] = 0x81;
            rtcp[1] = 201;
            rtcp[3] = 12;
            rtcp[7] = 0x12;
            if (!sender.TryProtectRtcp(rtcp, 52, out _))
            {
                throw new InvalidOperationException("rtcp protect failed");
            }
        }

        var rtcpTicks = Stopwatch.GetTimestamp() - rtcpStart;
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        if (round == 0)
        {
            continue; // warm-up (tiered JIT)
        }

        allocated += bytes;
        protect.Add(protectTicks * 1e9 / Stopwatch.Frequency / packets);
        unprotect.Add(unprotectTicks * 1e9 / Stopwatch.Frequency / packets);
        protectRtcp.Add(rtcpTicks * 1e9 / Stopwatch.Frequency / packets);
    }

    protect.Sort();
    unprotect.Sort();
    protectRtcp.Sort();
    return new JsonObject
    {
        ["profile"] = profile.ToString(),
        ["payloadBytes"] = payload,
        ["protectRtpNs"] = Math.Round(Percentiles.NearestRank(protect, 0.5), 1),
        ["unprotectRtpNs"] = Math.Round(Percentiles.NearestRank(unprotect, 0.5), 1),
        ["protectRtcpNs"] = Math.Round(Percentiles.NearestRank(protectRtcp, 0.5), 1),
        ["allocatedBytesPerPacket"] = Math.Round((double)allocated / (rounds * 2.0 * packets), 3).ToString(CultureInfo.InvariantCulture),
    };
}
