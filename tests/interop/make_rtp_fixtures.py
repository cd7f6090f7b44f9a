#!/usr/bin/python3
"""Prints RTP/RTCP packets serialized by aiortc 1.4 (Debian python3-aiortc), with the field values
that went in, as C# test rows. The output is pasted into tests/Lilium.WebRtc.Tests/RtpRtcpFixtures.cs;
run again to regenerate."""
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import (HeaderExtensionsMap, RtcpByePacket, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket,
                        RtcpRtpfbPacket, RtcpSdesPacket, RtcpSenderInfo, RtcpSourceInfo, RtcpSrPacket, RtpPacket,
                        pack_remb_fci)

ext = HeaderExtensionsMap()
ext.configure(RTCRtpParameters(headerExtensions=[
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
    RTCRtpHeaderExtensionParameters(id=5, uri="http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
]))

def row(name, data):
    print(f'    public static readonly byte[] {name} = Convert.FromHexString("{data.hex()}");')

p = RtpPacket(payload_type=96, marker=1, sequence_number=0xFFFE, timestamp=0xDEADBEEF, ssrc=0x11223344, payload=b"\x10\x02\x00\x9d\x01\x2a" * 5)
p.extensions.mid = "0"
p.extensions.abs_send_time = 0x123456
p.extensions.transport_sequence_number = 0x0102
row("RtpWithExtensions", p.serialize(ext))
row("RtpPlain", RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=0xCAFEBABE, payload=b"\xfc\xff\xfe").serialize())

rb = RtcpReceiverInfo(ssrc=0x11223344, fraction_lost=12, packets_lost=-3, highest_sequence=0x0001FFFF, jitter=33, lsr=0x55667788, dlsr=65536)
row("RtcpSr", bytes(RtcpSrPacket(ssrc=0xCAFEBABE, sender_info=RtcpSenderInfo(ntp_timestamp=0xE1F2A3B4C5D6E7F8, rtp_timestamp=0x01020304, packet_count=1000, octet_count=1200000), reports=[rb])))
row("RtcpRr", bytes(RtcpRrPacket(ssrc=0xCAFEBABE, reports=[rb])))
row("RtcpSdes", bytes(RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=0xCAFEBABE, items=[(1, b"lilium-viewer")])])))
row("RtcpBye", bytes(RtcpByePacket(sources=[0xCAFEBABE, 0x11223344])))
row("RtcpNack", bytes(RtcpRtpfbPacket(fmt=1, ssrc=0xCAFEBABE, media_ssrc=0x11223344, lost=[100, 101, 105, 116, 117, 300])))
row("RtcpPli", bytes(RtcpPsfbPacket(fmt=1, ssrc=0xCAFEBABE, media_ssrc=0x11223344)))
row("RtcpRemb", bytes(RtcpPsfbPacket(fmt=15, ssrc=0xCAFEBABE, media_ssrc=0, fci=pack_remb_fci(2_500_000, [0x11223344]))))
