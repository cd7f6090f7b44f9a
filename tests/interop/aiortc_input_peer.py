#!/usr/bin/python3
"""aiortc on either side of the relay's remote-input path (data channels over SCTP/DTLS).

  --role host    WHIP publisher (test video) with an ordered "input" channel and a "control" channel.
                 Waits for --expect Forwarded events, then revokes the sending viewer's grant on the
                 control channel and waits for the relay's "grant.applied".
  --role viewer  WHEP subscriber with an unordered, maxRetransmits=0 "input" channel; sends --count
                 absolute mouse moves (docs/input.md wire format), 5 ms apart.

The last stdout line is a JSON summary.
"""
import argparse
import asyncio
import json
import struct
import sys
import time
import urllib.parse
import uuid

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from whip_publish import TestPattern, delete, post_sdp


async def connect(pc, url, token):
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + 20
    while True:
        try:
            status, location, answer = await loop.run_in_executor(None, post_sdp, url, token, pc.localDescription.sdp)
            break
        except Exception as error:  # 409 until the host publishes
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    except ValueError:
        print(pc.localDescription.sdp, answer, sep="\n----\n", file=sys.stderr)
        raise
    return urllib.parse.urljoin(url, location) if location else None


async def wait_open(channel, seconds=10):
    start = time.monotonic()
    while channel.readyState != "open" and time.monotonic() - start < seconds:
        await asyncio.sleep(0.02)
    return channel.readyState == "open"


async def host(args):
    result = {"forwarded": 0, "viewers": [], "control": [], "grant_applied": None, "input_open": False}
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(TestPattern(), direction="sendonly")
    input_channel = pc.createDataChannel("input", protocol="lilium-input/1")
    control = pc.createDataChannel("control", protocol="lilium-control/1")
    enough = asyncio.Event()
    applied = asyncio.Event()

    @input_channel.on("message")
    def on_input(message):
        if isinstance(message, bytes) and len(message) > 20 and message[0] == 1 and message[1] == 0xF0:
            viewer = str(uuid.UUID(bytes=message[4:20]))
            if viewer not in result["viewers"]:
                result["viewers"].append(viewer)
            result["forwarded"] += 1
            if result["forwarded"] >= args.expect:
                enough.set()

    @control.on("message")
    def on_control(message):
        data = json.loads(message)
        result["control"].append(data.get("type"))
        if data.get("type") == "grant.applied":
            result["grant_applied"] = data
            applied.set()

    resource = await connect(pc, args.url, args.token)
    result["input_open"] = await wait_open(input_channel) and await wait_open(control)
    print(json.dumps({"event": "ready", "open": result["input_open"]}), flush=True)
    try:
        await asyncio.wait_for(enough.wait(), args.seconds)
        control.send(json.dumps({"type": "grant", "viewer": result["viewers"][0],
                                 "permissions": {"keyboard": False, "mouse": False, "controller": False, "immersion": False}}))
        await asyncio.wait_for(applied.wait(), 5)
    except asyncio.TimeoutError:
        pass
    print(json.dumps(result), flush=True)
    if resource:
        await asyncio.get_running_loop().run_in_executor(None, delete, resource, args.token)
    await pc.close()


async def viewer(args):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    channel = pc.createDataChannel("input", protocol="lilium-input/1", ordered=False, maxRetransmits=0)
    resource = await connect(pc, args.url, args.token)
    sent = 0
    if await wait_open(channel):
        for i in range(args.count):
            # MouseMoveAbsolute (0x10): version 1, type, sequence u16, x u16, y u16
            channel.send(struct.pack(">BBHHH", 1, 0x10, (i + 1) & 0xFFFF, i, 65535 - i))
            sent += 1
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.5)
    print(json.dumps({"sent": sent, "open": channel.readyState == "open"}), flush=True)
    if resource:
        await asyncio.get_running_loop().run_in_executor(None, delete, resource, args.token)
    await pc.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--role", choices=["host", "viewer"], required=True)
    parser.add_argument("--expect", type=int, default=50)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(host(args) if args.role == "host" else viewer(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
