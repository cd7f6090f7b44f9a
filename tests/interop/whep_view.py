#!/usr/bin/python3
"""WHEP viewer built on aiortc: subscribes, decodes video and audio frames, prints counts as JSON.

Usage: whep_view.py URL TOKEN [--seconds N] [--min-video N] [--test-loss]
Exits when --seconds elapse (or earlier once --min-video frames were decoded and audio arrived).
The last line of stdout is a JSON object:
  {"video_frames": .., "audio_frames": .., "first_video_ms": .., "connected_ms": .., "width": .., "height": ..}
first_video_ms counts from the moment the transport connected to the first decoded video frame.
"""
import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription


def post_sdp(url, token, sdp, test_loss):
    headers = {"Content-Type": "application/sdp", "Authorization": "Bearer " + token}
    if test_loss:
        headers["X-Lilium-Test-Loss"] = "1"
    request = urllib.request.Request(url, data=sdp.encode(), method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Location"), response.read().decode()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--min-video", type=int, default=0)
    parser.add_argument("--test-loss", action="store_true")
    args = parser.parse_args()

    t0 = time.monotonic()
    result = {"video_frames": 0, "audio_frames": 0, "first_video_ms": None, "connected_ms": None,
              "width": None, "height": None}
    connected_at = None
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    tasks = []

    async def consume(track):
        nonlocal connected_at
        while True:
            try:
                frame = await track.recv()
            except Exception:  # MediaStreamError when the track ends
                return
            if track.kind == "video":
                if result["video_frames"] == 0:
                    base = connected_at or t0
                    result["first_video_ms"] = round((time.monotonic() - base) * 1000)
                    result["width"], result["height"] = frame.width, frame.height
                result["video_frames"] += 1
            else:
                result["audio_frames"] += 1

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(consume(track)))

    @pc.on("connectionstatechange")
    def on_state():
        nonlocal connected_at
        if pc.connectionState == "connected" and connected_at is None:
            connected_at = time.monotonic()
            result["connected_ms"] = round((connected_at - t0) * 1000)

    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    try:
        status, location, answer = await loop.run_in_executor(None, post_sdp, args.url, args.token, pc.localDescription.sdp, args.test_loss)
    except urllib.error.HTTPError as e:
        print(json.dumps({"error": e.code, "body": e.read().decode(errors="replace")}), flush=True)
        await pc.close()
        return 2
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        if args.min_video and result["video_frames"] >= args.min_video and result["audio_frames"] > 0:
            break
        await asyncio.sleep(0.05)

    if location:
        resource = urllib.parse.urljoin(args.url, location)
        request = urllib.request.Request(resource, method="DELETE", headers={"Authorization": "Bearer " + args.token})
        try:
            await loop.run_in_executor(None, lambda: urllib.request.urlopen(request, timeout=5).close())
        except (urllib.error.URLError, OSError):
            pass
    for task in tasks:
        task.cancel()
    await pc.close()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
