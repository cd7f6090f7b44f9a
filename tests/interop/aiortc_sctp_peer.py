#!/usr/bin/python3
"""aiortc's SCTP association and data channels (RTCSctpTransport, RTCDataChannel) over plain UDP.

Only the DTLS layer is replaced: a shim with the three members RTCSctpTransport uses
(_register_data_receiver, _send_data, transport.role) carries SCTP packets in UDP datagrams.
Everything above it -- association setup, DATA/SACK, retransmission, FORWARD-TSN, stream reset,
DCEP -- is aiortc's own code, so this exercises our SCTP/DCEP against an implementation we did not
write. Events are printed as JSON lines on stdout.

usage: aiortc_sctp_peer.py PEER_PORT COUNT
  Opens "chat" (ordered, reliable) and "input" (unordered, maxRetransmits=0), sends COUNT text
  messages on each, echoes every message it receives on a channel the peer opened, and exits when
  the peer closes the channel "bye" or after 30 s.
"""
import asyncio
import json
import sys

from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport


def emit(**event):
    print(json.dumps(event), flush=True)


class IceRole:
    role = "controlling"  # aiortc 1.4 makes the ICE-controlling side the SCTP client: it sends INIT.


class UdpDtlsShim(asyncio.DatagramProtocol):
    def __init__(self):
        self.transport = IceRole()
        self.state = "connected"
        self._receiver = None
        self._udp = None

    def connection_made(self, udp):
        self._udp = udp

    def datagram_received(self, data, addr):
        if self._receiver is not None:
            asyncio.ensure_future(self._receiver._handle_data(data))

    def _register_data_receiver(self, receiver):
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver):
        if self._receiver is receiver:
            self._receiver = None

    async def _send_data(self, data):
        self._udp.sendto(data)


async def main(peer_port, count):
    loop = asyncio.get_running_loop()
    shim = UdpDtlsShim()
    await loop.create_datagram_endpoint(lambda: shim, remote_addr=("127.0.0.1", peer_port))
    sctp = RTCSctpTransport(shim)
    done = asyncio.Event()

    @sctp.on("datachannel")
    def on_datachannel(channel):
        emit(event="remote-open", label=channel.label, id=channel.id, ordered=channel.ordered)

        @channel.on("message")
        def on_message(message):
            text = message if isinstance(message, str) else message.decode()
            emit(event="message", label=channel.label, data=text)
            channel.send("echo:" + text)

        @channel.on("close")
        def on_close():
            emit(event="remote-close", label=channel.label)
            if channel.label == "bye":
                done.set()

    await sctp.start(RTCSctpCapabilities(maxMessageSize=262144), 5000)
    chat = RTCDataChannel(sctp, RTCDataChannelParameters(label="chat", ordered=True))
    lossy = RTCDataChannel(sctp, RTCDataChannelParameters(label="input", ordered=False, maxRetransmits=0))

    echoes = {"chat": [], "input": []}
    for channel in (chat, lossy):
        def bind(ch):
            @ch.on("open")
            def on_open():
                emit(event="open", label=ch.label, id=ch.id)
                for i in range(count):
                    ch.send(f"{ch.label}-{i}")

            @ch.on("message")
            def on_message(message):
                echoes[ch.label].append(message)
                emit(event="echo", label=ch.label, data=message)
        bind(channel)

    try:
        await asyncio.wait_for(done.wait(), 30)
    except asyncio.TimeoutError:
        emit(event="timeout")
    emit(event="done", chat=len(echoes["chat"]), input=len(echoes["input"]))
    await sctp.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
