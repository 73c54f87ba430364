/**
 * The receive path of an RTSP-over-TCP H.264 camera, in process: RtspStreamParser (RFC 2326 §10.12
 * `$` de-framing) -> RtpPacketView (RFC 3550 §5.1) -> H264Depacketizer (RFC 6184), fed in 64 KiB
 * chunks as a socket would deliver them.
 *
 * Main input: a synthetic 1080p-like stream, 25 fps with a 1 s GOP: SPS + PPS + an IDR of
 * 250 KB - 1 MB (one NAL or 2-4 slices), then 24 P frames of 20-40 KB; random NAL bodies with valid
 * headers and no `00 00 0x` (no start-code emulation), packetized by H264Packetizer at 1400-byte
 * payloads (STAP-A for SPS+PPS, FU-A for everything else), about 28 MB in all.
 *
 * Cases:
 *  - owned: the client's default; every unit is new memory the caller keeps. Writing into memory the
 *    process has not touched before costs page faults (~1.7 GB/s on this machine for fresh memory vs
 *    13-38 GB/s for a reused target), which bounds this case's ratio to Buffer.copy well below 1.
 *  - transient: each unit is written into one reused buffer, valid until onUnit returns (recorders
 *    writing straight to disk): the physical limit is the copy itself.
 *  - the 640x360 corpus (3 KB average frame), kept for reference: per-packet and per-unit costs
 *    dominate there, not bytes.
 * Every case consumes its outputs (a byte and the length of each unit).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitAnnexB } from '../src/codec/annex-b.js';
import { H264Depacketizer, type H264DepacketizerOptions } from '../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../src/codec/h264/packetizer.js';
import type { AccessUnit } from '../src/codec/types.js';
import { RtpPacketView, RtpStatus } from '../src/rtp/rtp-packet.js';
import { RtspStreamParser } from '../src/rtsp/rtsp-parser.js';
import { fillRandom, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

function findCorpus(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'corpus', name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`corpus/${name} not found`);
}

/** NAL of `size` bytes: header (F=0, NRI, type) + random body without two zero bytes in a row. */
function randomNal(next: () => number, header: number, size: number): Uint8Array {
  const u = Buffer.allocUnsafe(size);
  u[0] = header;
  fillRandom(u.subarray(1), next);
  for (let i = 2; i < size; i++) if (u[i] === 0 && u[i - 1] === 0) u[i] = 1;
  if (u[size - 1] === 0) u[size - 1] = 1; // no trailing zero (it would read as trailing_zero_8bits)
  return u;
}

const SPS = Buffer.from('6742c028da01e0089f97011000000300100000030320f1832a', 'hex') // x264 1920x1080 Baseline@4.0;
const PPS = Buffer.from('68ce0fc8', 'hex');

/** 1080p-like access units (NAL lists): `gops` GOPs of 25 frames. */
function syntheticAccessUnits(gops: number): Uint8Array[][] {
  const next = xorshift32(0x2545f491);
  const aus: Uint8Array[][] = [];
  for (let g = 0; g < gops; g++) {
    const idrSize = 250_000 + (next() % 750_001);
    const slices = g % 2 === 0 ? 1 : 2 + (next() % 3);
    const au: Uint8Array[] = [SPS, PPS];
    for (let s = 0; s < slices; s++) au.push(randomNal(next, 0x65, Math.floor(idrSize / slices)));
    aus.push(au);
    for (let f = 1; f < 25; f++) aus.push([randomNal(next, 0x41, 20_000 + (next() % 20_001))]);
  }
  return aus;
}

function corpusAccessUnits(repeat: number): Uint8Array[][] {
  const nalus = splitAnnexB(new Uint8Array(readFileSync(findCorpus('h264-640x360-25fps.h264'))));
  const one: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  for (const n of nalus) {
    cur.push(n);
    const t = n[0]! & 0x1f;
    if (t >= 1 && t <= 5) {
      one.push(cur);
      cur = [];
    }
  }
  const aus: Uint8Array[][] = [];
  for (let r = 0; r < repeat; r++) aus.push(...one);
  return aus;
}

/** `$ | channel 0 | length16 | RTP packet` for every packet of every unit (90 kHz, 25 fps). */
function interleave(aus: Uint8Array[][]): { bytes: Uint8Array; units: number; packets: number; payloadBytes: number } {
  const pk = new H264Packetizer({ maxPayloadSize: 1400, ssrc: 1, initialSequenceNumber: 0 });
  const packets: Uint8Array[] = [];
  let ts = 0;
  for (const au of aus) for (const p of pk.packetize(au, (ts += 3600))) packets.push(p);
  let size = 0;
  for (const p of packets) size += 4 + p.length;
  const bytes = Buffer.allocUnsafe(size);
  let o = 0;
  let payloadBytes = 0;
  for (const p of packets) {
    bytes[o] = 0x24; /* '$' */
    bytes[o + 1] = 0;
    bytes.writeUInt16BE(p.length, o + 2);
    bytes.set(p, o + 4);
    o += 4 + p.length;
    payloadBytes += p.length - 12;
  }
  return { bytes, units: aus.length, packets: packets.length, payloadBytes };
}

/**
 * One receive pipeline, as the client composes it (onInterleaved -> onRtp -> pushPayload), built
 * once and reused by every pass like a long-running session (`reset` between passes: each pass
 * restarts the sequence numbers).
 */
function pipeline(opts: H264DepacketizerOptions, onUnit: (u: AccessUnit) => void): { parser: RtspStreamParser; depacketizer: H264Depacketizer } {
  const view = new RtpPacketView();
  const d = new H264Depacketizer(
    {
      onUnit,
      onError(e): void {
        throw e;
      },
    },
    opts,
  );
  const parser = new RtspStreamParser({
    message(): void {
      throw new Error('unexpected RTSP message');
    },
    interleaved(channel, payload): void {
      if (channel !== 0 || view.parse(payload, 0, payload.length) !== RtpStatus.Ok) throw new Error('bad RTP');
      d.pushPayload(view.data, view.payloadOffset, view.payloadOffset + view.payloadLength, view.timestamp, view.marker, view.sequenceNumber);
    },
    interleavedRange(channel, buf, start, end): void {
      if (channel !== 0 || view.parse(buf, start, end) !== RtpStatus.Ok) throw new Error('bad RTP');
      d.pushPayload(buf, view.payloadOffset, view.payloadOffset + view.payloadLength, view.timestamp, view.marker, view.sequenceNumber);
    },
    error(e): void {
      throw e;
    },
  });
  return { parser, depacketizer: d };
}

function benchCase(name: string, aus: Uint8Array[][], opts: H264DepacketizerOptions): BenchCase {
  const { bytes, units } = interleave(aus);
  const chunks = chunked(bytes);
  let got = 0;
  let acc = 0;
  let outBytes = 0;
  const onUnit = (u: AccessUnit): void => {
    got++;
    const d = u.data;
    acc = (acc + d[d.length - 1]! + d.length) | 0;
    outBytes += d.length;
  };
  let expectBytes = 0;
  for (const au of aus) for (const n of au) expectBytes += 4 + n.length;
  const { parser, depacketizer } = pipeline(opts, onUnit);
  const run = (): void => {
    depacketizer.reset();
    for (const c of chunks) parser.push(c);
    consume(acc);
  };
  return {
    name,
    chunks,
    units,
    unitName: 'frames',
    fn: run,
    verify: () => {
      got = 0;
      outBytes = 0;
      run();
      if (got !== units) throw new Error(`${name}: expected ${units} access units, got ${got}`);
      if (outBytes !== expectBytes) throw new Error(`${name}: expected ${expectBytes} output bytes, got ${outBytes}`);
    },
  };
}

export function cases(): BenchCase[] {
  const big = syntheticAccessUnits(20);
  return [
    benchCase('rtp-h264 1080p-like owned: RtspStreamParser + RTP + H.264, 1400 B, 64 KiB chunks', big, {}),
    benchCase('rtp-h264 1080p-like transient: RtspStreamParser + RTP + H.264, 1400 B, 64 KiB chunks', big, { transient: true }),
    benchCase('rtp-h264 640x360 corpus owned: RtspStreamParser + RTP + H.264, 1400 B, 64 KiB chunks', corpusAccessUnits(40), {}),
  ];
}
