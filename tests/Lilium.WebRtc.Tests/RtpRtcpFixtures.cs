namespace Lilium.WebRtc.Tests;

/// <summary>
/// RTP/RTCP packets serialized by aiortc 1.4 (Debian python3-aiortc), made by
/// tests/interop/make_rtp_fixtures.py, which also shows the field values that went in.
/// </summary>
internal static class RtpRtcpFixtures
{
    public static readonly byte[] RtpWithExtensions = Convert.FromHexString("90e0fffedeadbeef11223344bede00031030321234565101020000001002009d012a1002009d012a1002009d012a1002009d012a1002009d012a");
    public static readonly byte[] RtpPlain = Convert.FromHexString("806f0007000003c0cafebabefcfffe");
    public static readonly byte[] RtcpSr = Convert.FromHexString("81c8000ccafebabee1f2a3b4c5d6e7f801020304000003e800124f80112233440cfffffd0001ffff000000215566778800010000");
    public static readonly byte[] RtcpRr = Convert.FromHexString("81c90007cafebabe112233440cfffffd0001ffff000000215566778800010000");
    public static readonly byte[] RtcpSdes = Convert.FromHexString("81ca0006cafebabe010d6c696c69756d2d7669657765720000000000");
    public static readonly byte[] RtcpBye = Convert.FromHexString("82cb0002cafebabe11223344");
    public static readonly byte[] RtcpNack = Convert.FromHexString("81cd0005cafebabe112233440064801100750000012c0000");
    public static readonly byte[] RtcpPli = Convert.FromHexString("81ce0002cafebabe11223344");
    public static readonly byte[] RtcpRemb = Convert.FromHexString("8fce0005cafebabe0000000052454d420112625a11223344");
}
