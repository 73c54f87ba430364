/**
 * Test inputs for the MP4 writer: the corpus files pushed through the real RTP path (packetizer ->
 * RtpPacketView -> depacketizer), so the writer sees exactly what RtspClient delivers; and a
 * driver that assembles the sink's chunks into a file in memory (patches applied).
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadH264, corpusPath } from '../../src/testing/media-source.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { H264Depacketizer } from '../../src/codec/h264/depacketizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { H265Depacketizer } from '../../src/codec/h265/depacketizer.js';
import { AacPacketizer } from '../../src/codec/aac/packetizer.js';
import { AacDepacketizer } from '../../src/codec/aac/depacketizer.js';
import { G711Packetizer } from '../../src/codec/g711/packetizer.js';
import { G711Depacketizer } from '../../src/codec/g711/depacketizer.js';
import type { AccessUnit, AudioAccessUnit, Depacketizer } from '../../src/codec/types.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { Mp4Writer, type Mp4Chunk, type Mp4WriterOptions } from '../../src/mp4/writer.js';
import type { ProtocolError } from '../../src/errors.js';
import { corpusH265AccessUnits } from '../codec/h265/support.js';
import { adtsFrames, AAC_CORPUS, AAC_FMTP } from '../codec/aac/support.js';

function feed(d: Depacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) {
    if (v.parse(p) !== RtpStatus.Ok) throw new Error('bad RTP packet from the packetizer');
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
}

/** The H.264 corpus (100 frames, 25 fps, IDR every 25) as depacketized access units, 90 kHz from `ts0`. */
export function h264Units(ts0 = 1000, frames = 100): AccessUnit[] {
  const src = loadH264();
  const out: AccessUnit[] = [];
  const pk = new H264Packetizer({ maxPayloadSize: 1200, ssrc: 1 });
  const dp = new H264Depacketizer({ onUnit: (u) => out.push(u) });
  for (let i = 0; i < frames; i++) feed(dp, pk.packetize(src.units[i % src.units.length]!, (ts0 + i * 3600) >>> 0));
  dp.flush();
  return out;
}

export function h265Units(ts0 = 5000): AccessUnit[] {
  const aus = corpusH265AccessUnits();
  const out: AccessUnit[] = [];
  const pk = new H265Packetizer({ maxPayloadSize: 1200, ssrc: 2 });
  const dp = new H265Depacketizer({ onUnit: (u) => out.push(u) });
  aus.forEach((au, i) => feed(dp, pk.packetize(au, (ts0 + i * 3600) >>> 0)));
  dp.flush();
  return out;
}

export const AAC_CONFIG = new Uint8Array([0x14, 0x08]);

/** The AAC corpus (16 kHz mono LC) as raw frames, 1024 samples apart. */
export function aacUnits(ts0 = 0): AudioAccessUnit[] {
  const frames = adtsFrames(AAC_CORPUS).map((f) => f.raw);
  const out: AudioAccessUnit[] = [];
  const pk = new AacPacketizer({ ssrc: 3, maxFramesPerPacket: 1 });
  const dp = new AacDepacketizer({ onUnit: (u) => out.push(u) }, { fmtp: AAC_FMTP, clockRate: 16000 });
  frames.forEach((f, i) => feed(dp, pk.packetize([f], (ts0 + i * 1024) >>> 0)));
  dp.flush();
  return out;
}

/** G.711 corpus, 20 ms packets (160 samples). */
export function g711Units(codec: 'pcma' | 'pcmu', ts0 = 0): AudioAccessUnit[] {
  const bytes = new Uint8Array(readFileSync(corpusPath(codec === 'pcma' ? 'g711a-8k.alaw' : 'g711u-8k.ulaw')));
  const out: AudioAccessUnit[] = [];
  const pk = new G711Packetizer({ ssrc: 4, samplesPerPacket: 160, payloadType: codec === 'pcma' ? 8 : 0 });
  const dp = new G711Depacketizer({ onUnit: (u) => out.push(u) }, { codec });
  feed(dp, pk.packetize(bytes, ts0));
  dp.flush();
  return out;
}

export interface Recorded {
  file: Uint8Array;
  chunks: Mp4Chunk[];
  errors: ProtocolError[];
  writer: Mp4Writer;
}

/** A sink that assembles the file: chunks at their offsets, patches written over. */
export class MemoryFile {
  chunks: Mp4Chunk[] = [];
  errors: ProtocolError[] = [];
  onChunk(c: Mp4Chunk): void {
    this.chunks.push(c);
  }
  onError(e: ProtocolError): void {
    this.errors.push(e);
  }
  bytes(): Uint8Array {
    let size = 0;
    for (const c of this.chunks) if (c.kind !== 'patch') size = Math.max(size, c.offset + c.data.length);
    const out = new Uint8Array(size);
    for (const c of this.chunks) out.set(c.data, c.offset);
    return out;
  }
}

export interface TimedUnit {
  track: number;
  unit: AccessUnit;
  /** Seconds on the recording's timeline. */
  t: number;
}

/** Interleaves per-track units by time (what a client delivers), times from the RTP clock relative to each track's first unit. */
export function interleave(tracks: { units: AccessUnit[]; clockRate: number }[]): TimedUnit[] {
  const all: TimedUnit[] = [];
  tracks.forEach((tr, track) => {
    const t0 = tr.units[0]?.timestamp ?? 0;
    for (const u of tr.units) all.push({ track, unit: u, t: ((u.timestamp - t0) >>> 0) / tr.clockRate });
  });
  return all.sort((a, b) => a.t - b.t || a.track - b.track);
}

/** Runs interleaved units through a writer; `time` in each track's clock from `t`. */
export function record(opts: Mp4WriterOptions, units: TimedUnit[], timescales: number[], wallStartMs?: number): Recorded {
  const mem = new MemoryFile();
  const writer = new Mp4Writer(opts, mem);
  for (const { track, unit, t } of units) {
    const audio = unit as Partial<AudioAccessUnit>;
    writer.push(track, {
      data: unit.data,
      nalus: unit.nalus,
      keyframe: unit.keyframe,
      time: Math.round(t * timescales[track]!),
      duration: audio.sampleCount,
      wallClockMs: wallStartMs === undefined ? undefined : wallStartMs + t * 1000,
    });
  }
  writer.close();
  return { file: mem.bytes(), chunks: mem.chunks, errors: mem.errors, writer };
}

/**
 * For `describe.skipIf(...)` on peers peers.ts does not know (mediainfo, chromium): true when `cmd`
 * is missing outside CI (skip with a warning); in CI a missing peer throws.
 */
export function missingCommand(cmd: string, args: string[] = ['--version']): boolean {
  const ok = spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`interop peer '${cmd}' is missing in CI: run scripts/install-peers.sh`);
  if (!ok) console.warn(`skipping ${cmd} interop tests: not installed (bash scripts/install-peers.sh)`);
  return !ok;
}
