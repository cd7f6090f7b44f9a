/** Quality presets for the host, and the viewer's stats sampling. The WHIP/WHEP peers are the SDK's. */

/** What the host can pick: capture size and frame rate, and the default bitrate cap (bps). */
export type Quality = "720p" | "1080p" | "1080p60" | "native";

export const QUALITIES: Record<Quality, { label: string; width?: number; height?: number; fps: number; bitrate: number }> = {
  "720p": { label: "720p · 30 fps", width: 1280, height: 720, fps: 30, bitrate: 4_000_000 },
  "1080p": { label: "1080p · 30 fps", width: 1920, height: 1080, fps: 30, bitrate: 8_000_000 },
  "1080p60": { label: "1080p · 60 fps", width: 1920, height: 1080, fps: 60, bitrate: 12_000_000 },
  native: { label: "Native resolution", fps: 60, bitrate: 16_000_000 },
};

/**
 * Caps the published video's bitrate (RTCRtpSender.setParameters; no renegotiation): the full-size encoding's, the last
 * one when the host sends simulcast (the SDK's `SIMULCAST_LAYERS` run low to high and cap the smaller ones themselves).
 */
export async function setVideoBitrate(pc: RTCPeerConnection, bitrate: number): Promise<void> {
  const sender = pc.getSenders().find((s) => s.track?.kind === "video");
  if (!sender) return;
  const params = sender.getParameters();
  if (params.encodings.length === 0) params.encodings = [{}];
  params.encodings[params.encodings.length - 1]!.maxBitrate = bitrate;
  await sender.setParameters(params);
}

/** What the stats overlay shows, from getStats. */
export interface ViewerStats {
  width: number; height: number; fps: number; bitrateKbps: number; rttMs: number | null;
  lossPercent: number; freezes: number; framesDecoded: number; audioBytes: number; codec: string;
}

/** Samples getStats; `sample()` returns figures over the interval since the last call. */
export class StatsSampler {
  private lastBytes = 0;
  private lastAt = 0;

  constructor(private readonly pc: RTCPeerConnection) {}

  async sample(): Promise<ViewerStats> {
    const report = await this.pc.getStats();
    const s: ViewerStats = { width: 0, height: 0, fps: 0, bitrateKbps: 0, rttMs: null, lossPercent: 0, freezes: 0, framesDecoded: 0, audioBytes: 0, codec: "" };
    let bytes = 0, lost = 0, received = 0, codecId: string | undefined;
    report.forEach((r: Record<string, unknown> & { type: string }) => {
      if (r.type === "inbound-rtp" && r.kind === "video") {
        s.width = Number(r.frameWidth ?? 0);
        s.height = Number(r.frameHeight ?? 0);
        s.fps = Number(r.framesPerSecond ?? 0);
        s.freezes = Number(r.freezeCount ?? 0);
        s.framesDecoded = Number(r.framesDecoded ?? 0);
        bytes += Number(r.bytesReceived ?? 0);
        lost += Number(r.packetsLost ?? 0);
        received += Number(r.packetsReceived ?? 0);
        codecId = r.codecId as string | undefined;
      } else if (r.type === "inbound-rtp" && r.kind === "audio") {
        s.audioBytes = Number(r.bytesReceived ?? 0);
        bytes += s.audioBytes;
      } else if (r.type === "candidate-pair" && (r.nominated || r.selected) && r.state === "succeeded" && typeof r.currentRoundTripTime === "number") {
        s.rttMs = Math.round((r.currentRoundTripTime as number) * 1000);
      }
    });
    if (codecId !== undefined) {
      const codec = report.get(codecId) as { mimeType?: string } | undefined;
      s.codec = codec?.mimeType?.replace(/^video\//, "") ?? "";
    }
    const now = performance.now();
    if (this.lastAt > 0 && now > this.lastAt) s.bitrateKbps = Math.round(((bytes - this.lastBytes) * 8) / (now - this.lastAt));
    this.lastBytes = bytes;
    this.lastAt = now;
    s.lossPercent = received + lost > 0 ? Math.round((lost / (received + lost)) * 1000) / 10 : 0;
    return s;
  }
}
