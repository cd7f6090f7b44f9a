#!/usr/bin/env python3
"""Writes the fixture-based seed corpora under fuzz/corpus/ (one small valid input per file).

Provenance: the bytes come from the test fixtures, read from their C# source so there is one copy:
  stun  <- tests/Lilium.WebRtc.Tests/StunVectorTests.cs  (RFC 5769 §2.1-2.3 test vectors)
  rtp   <- tests/Lilium.WebRtc.Tests/RtpRtcpFixtures.cs  (packets serialized by aiortc 1.4)
  rtcp  <- the same file: SR, RR, SDES, BYE, NACK, PLI, REMB, plus one compound SR+SDES
  sdp   <- tests/Lilium.WebRtc.Tests/SdpFixtures.cs      (offers captured from aiortc and Chromium)
The targets whose seeds need our code (dtls, srtp, sctp, input, signaling) are written by
`dotnet run --project fuzz/Lilium.Fuzz -c Release -- seeds fuzz/corpus` (fuzz/Lilium.Fuzz/Seeds.cs),
after this script (the srtp seeds are the rtp and rtcp ones, protected).
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
tests = root / "tests" / "Lilium.WebRtc.Tests"
out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "fuzz" / "corpus"

# `Name = Convert.FromHexString("..." + "...");` with the literal possibly split over lines.
HEX = re.compile(r'(\w+)\s*=\s*Convert\.FromHexString\(\s*((?:"[0-9a-fA-F]*"\s*\+?\s*)+)\)', re.S)
# `const string Name = """ ... """;` raw string literals.
RAW = re.compile(r'const string (\w+) = """\n(.*?)\n\s*""";', re.S)


def hex_fixtures(path):
    for name, literal in HEX.findall(path.read_text()):
        yield name, bytes.fromhex("".join(re.findall(r'"([0-9a-fA-F]*)"', literal)))


def write(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


for name, data in hex_fixtures(tests / "StunVectorTests.cs"):
    if name.startswith("Sample"):  # the three RFC 5769 messages, not the bare transaction id
        write("stun", name, data)

rtcp = {}
for name, data in hex_fixtures(tests / "RtpRtcpFixtures.cs"):
    if name.startswith("Rtp") and not name.startswith("Rtcp"):
        write("rtp", name, data)
    else:
        write("rtcp", name, data)
        rtcp[name] = data
write("rtcp", "CompoundSrSdes", rtcp["RtcpSr"] + rtcp["RtcpSdes"])

for name, text in RAW.findall((tests / "SdpFixtures.cs").read_text()):
    # C# raw literals strip the closing delimiter's indentation; the fixtures are not indented.
    write("sdp", name, text.replace("\n", "\r\n").encode() + b"\r\n")

for target in ("stun", "rtp", "rtcp", "sdp"):
    print(f"corpus: {target}: {len(list((out / target).iterdir()))} from fixtures")
