#!/usr/bin/python3
"""libsrtp (through pylibsrtp, a dependency of Debian's python3-aiortc) as a reference SRTP peer.

stdin: {"profile": "cm80"|"gcm128", "key": hex, "salt": hex, "op": "protect"|"unprotect",
        "rtp": [hex, ...], "rtcp": [hex, ...]}
stdout: {"rtp": [hex or null, ...], "rtcp": [hex or null, ...]}  (null: libsrtp refused the packet)
"""
import json
import sys

import pylibsrtp

PROFILES = {
    "cm80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "gcm128": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}

request = json.load(sys.stdin)
inbound = request["op"] == "unprotect"
policy = pylibsrtp.Policy(
    key=bytes.fromhex(request["key"] + request["salt"]),
    ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
    srtp_profile=PROFILES[request["profile"]],
)
session = pylibsrtp.Session(policy=policy)


def run(fn, packets):
    out = []
    for packet in packets:
        try:
            out.append(fn(bytes.fromhex(packet)).hex())
        except pylibsrtp.Error:
            out.append(None)
    return out


if inbound:
    result = {"rtp": run(session.unprotect, request["rtp"]), "rtcp": run(session.unprotect_rtcp, request["rtcp"])}
else:
    result = {"rtp": run(session.protect, request["rtp"]), "rtcp": run(session.protect_rtcp, request["rtcp"])}
json.dump(result, sys.stdout)
