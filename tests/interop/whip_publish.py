#!/usr/bin/python3
"""WHIP publisher built on aiortc: sends a generated VP8 test video and Opus audio to a relay.

Usage: whip_publish.py URL TOKEN [--seconds N] [--fps N]
Prints one JSON line when connected ({"event": "connected", ...}) and one at the end with counts.
"""
import argparse
import asyncio
import fractions
import json
import sys
import time
import urllib.error
import urllib.request

import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame


class TestPattern(VideoStreamTrack):
    """A moving colour gradient with a frame counter band, so every frame differs."""

    def __init__(self, width=320, height=240, fps=30):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.count = 0
        y, x = numpy.mgrid[0:height, 0:width]
        self.base = ((x + y) % 256).astype(numpy.uint8)

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        shift = (self.count * 4) % 256
        plane = (self.base + shift).astype(numpy.uint8)
        image = numpy.stack([plane, numpy.roll(plane, 64, axis=1), 255 - plane], axis=2)
        band = (self.count * 3) % (self.height - 8)
        image[band:band + 8, :, :] = 255
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


def post_sdp(url, token, sdp):
    request = urllib.request.Request(
        url, data=sdp.encode(), method="POST",
        headers={"Content-Type": "application/sdp", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Location"), response.read().decode()


def delete(url, token):
    request = urllib.request.Request(url, method="DELETE", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=5):
            pass
    except (urllib.error.URLError, OSError):
        pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video = TestPattern()
    pc.addTransceiver(video, direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    # Prefer VP8 (aiortc offers H.264 too).
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "video":
            from aiortc.rtcrtpsender import RTCRtpSender
            codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType in ("video/VP8", "video/rtx")]
            transceiver.setCodecPreferences(codecs)
    await pc.setLocalDescription(await pc.createOffer())

    loop = asyncio.get_running_loop()
    status, location, answer = await loop.run_in_executor(None, post_sdp, args.url, args.token, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    resource = urllib.parse.urljoin(args.url, location) if location else None

    start = time.monotonic()
    while pc.connectionState not in ("connected", "failed", "closed") and time.monotonic() - start < 10:
        await asyncio.sleep(0.05)
    print(json.dumps({"event": "connected" if pc.connectionState == "connected" else "failed",
                      "state": pc.connectionState, "status": status, "location": location}), flush=True)
    if pc.connectionState != "connected":
        await pc.close()
        return 1

    await asyncio.sleep(args.seconds)
    print(json.dumps({"event": "done", "video_frames_sent": video.count}), flush=True)
    if resource:
        await loop.run_in_executor(None, delete, resource, args.token)
    await pc.close()
    return 0


if __name__ == "__main__":
    import urllib.parse
    sys.exit(asyncio.run(main()))
