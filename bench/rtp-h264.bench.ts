/**
 * RTSP interleaved de-framing (RFC 2326 §10.12, a minimal local version) + RTP header parse +
 * H.264 depacketization (RFC 6184) of the corpus stream packetized at 1400-byte payloads, fed in
 * 64 KiB chunks. One copy per byte (into each access unit's output buffer); frames straddling two
 * chunks go through one reused scratch buffer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitAnnexB } from '../src/codec/annex-b.js';
import { H264Depacketizer } from '../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../src/codec/h264/packetizer.js';
import type { AccessUnit } from '../src/codec/types.js';
import { RtpPacketView, RtpStatus } from '../src/rtp/rtp-packet.js';
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

function accessUnits(nalus: Uint8Array[]): Uint8Array[][] {
  const aus: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  for (const n of nalus) {
    cur.push(n);
    const t = n[0]! & 0x1f;
    if (t >= 1 && t <= 5) {
      aus.push(cur);
      cur = [];
    }
  }
  return aus;
}

/** `$ | channel | length16 | packet` frames for every packet, REPEAT passes over the corpus. */
function interleavedStream(repeat: number): { bytes: Uint8Array; units: number; packets: number } {
  const aus = accessUnits(splitAnnexB(new Uint8Array(readFileSync(findCorpus('h264-640x360-25fps.h264')))));
  const pk = new H264Packetizer({ maxPayloadSize: 1400, ssrc: 1, initialSequenceNumber: 0 });
  const packets: Uint8Array[] = [];
  let ts = 0;
  for (let r = 0; r < repeat; r++) for (const au of aus) packets.push(...pk.packetize(au, (ts += 3600)));
  let size = 0;
  for (const p of packets) size += 4 + p.length;
  const bytes = Buffer.allocUnsafe(size);
  let o = 0;
  for (const p of packets) {
    bytes[o] = 0x24; /* '$' */
    bytes[o + 1] = 0;
    bytes.writeUInt16BE(p.length, o + 2);
    bytes.set(p, o + 4);
    o += 4 + p.length;
  }
  return { bytes, units: aus.length * repeat, packets: packets.length };
}

/** Minimal interleaved de-framer feeding RTP packets (channel 0) to a depacketizer. */
class MiniDeframer {
  private readonly scratch = new Uint8Array(4 + 65535);
  private have = 0;
  private need = 0;
  private readonly view = new RtpPacketView();
  constructor(private readonly d: H264Depacketizer) {}

  push(c: Uint8Array): void {
    let p = 0;
    const n = c.length;
    if (this.have > 0) {
      // finish a frame that straddled the previous chunk
      if (this.have < 4) {
        const take = Math.min(4 - this.have, n);
        this.scratch.set(c.subarray(0, take), this.have);
        this.have += take;
        p = take;
        if (this.have < 4) return;
        this.need = 4 + ((this.scratch[2]! << 8) | this.scratch[3]!);
      }
      const take = Math.min(this.need - this.have, n - p);
      this.scratch.set(c.subarray(p, p + take), this.have);
      this.have += take;
      p += take;
      if (this.have < this.need) return;
      this.packet(this.scratch, 4, this.need);
      this.have = 0;
    }
    while (p + 4 <= n) {
      if (c[p] !== 0x24 /* '$' */) throw new Error('lost framing');
      const end = p + 4 + ((c[p + 2]! << 8) | c[p + 3]!);
      if (end > n) break;
      this.packet(c, p + 4, end);
      p = end;
    }
    if (p < n) {
      this.scratch.set(c.subarray(p), 0);
      this.have = n - p;
      if (this.have >= 4) this.need = 4 + ((this.scratch[2]! << 8) | this.scratch[3]!);
    }
  }

  private packet(buf: Uint8Array, s: number, e: number): void {
    const v = this.view;
    if (v.parse(buf, s, e) !== RtpStatus.Ok) return;
    this.d.pushPayload(buf, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
}

export function cases(): BenchCase[] {
  const { bytes, units } = interleavedStream(10);
  const chunks = chunked(bytes);
  let got = 0;
  let acc = 0;
  const sink = {
    onUnit(u: AccessUnit): void {
      got++;
      acc += u.data[u.data.length - 1]!;
    },
    onError(e: Error): void {
      throw e;
    },
  };
  const run = (): void => {
    const d = new H264Depacketizer(sink);
    const f = new MiniDeframer(d);
    for (const c of chunks) f.push(c);
    d.flush();
    consume(acc);
  };
  return [
    {
      name: 'rtp-h264 interleaved(mini) + RTP + H.264 depacketize, 1400 B packets, 64 KiB chunks',
      chunks,
      units,
      unitName: 'frames',
      fn: run,
      verify: () => {
        got = 0;
        run();
        if (got !== units) throw new Error(`expected ${units} access units, got ${got}`);
      },
    },
  ];
}
