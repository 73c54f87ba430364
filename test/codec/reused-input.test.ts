/**
 * Every depacketizer's units are "yours to keep" even when the caller reuses its input buffer, as the
 * RTSP client does (one read buffer per TCP connection, transport/connect.ts ReadBuffer; the
 * interleaved parser's scratch buffers). Each packet is copied into ONE Buffer, pushed as a view of
 * it, and the Buffer is scribbled over before the next packet: the units must equal those from
 * packets that stay untouched.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AacDepacketizer } from '../../src/codec/aac/depacketizer.js';
import { AacPacketizer } from '../../src/codec/aac/packetizer.js';
import { G711Depacketizer } from '../../src/codec/g711/depacketizer.js';
import { G711Packetizer } from '../../src/codec/g711/packetizer.js';
import { H264Depacketizer } from '../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { H265Depacketizer } from '../../src/codec/h265/depacketizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { JpegDepacketizer } from '../../src/codec/jpeg/depacketizer.js';
import { JpegPacketizer } from '../../src/codec/jpeg/packetizer.js';
import type { AccessUnit, Depacketizer } from '../../src/codec/types.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { AAC_CORPUS, AAC_FMTP, adtsFrames } from './aac/support.js';
import { corpusAccessUnits, hex } from './h264/support.js';
import { corpusH265AccessUnits } from './h265/support.js';

const corpus = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../corpus/${name}`, import.meta.url))));

/** Units (and their NAL views) as hex, from packets pushed either as they are or through one reused buffer. */
function depacketize(make: (onUnit: (u: AccessUnit) => void) => Depacketizer, packets: Uint8Array[], reuse: boolean): string[] {
  const units: AccessUnit[] = [];
  const d = make((u) => units.push(u));
  const v = new RtpPacketView();
  const shared = Buffer.alloc(65536);
  for (const p of packets) {
    let pkt: Uint8Array = p;
    if (reuse) {
      shared.set(p, 0);
      pkt = shared.subarray(0, p.length);
    }
    expect(v.parse(pkt)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
    if (reuse) shared.fill(0xee);
  }
  d.flush();
  return units.map((u) => hex(u.data) + (u.nalus ? '/' + u.nalus.map(hex).join(',') : ''));
}

function check(make: (onUnit: (u: AccessUnit) => void) => Depacketizer, packets: Uint8Array[], minUnits: number): void {
  const fresh = depacketize(make, packets, false);
  expect(fresh.length).toBeGreaterThanOrEqual(minUnits);
  expect(depacketize(make, packets, true)).toEqual(fresh);
}

describe('depacketizers keep no view of their input (units survive a reused read buffer)', () => {
  it('H.264 (single NAL, STAP-A, FU-A), Annex B output with NAL views', () => {
    const pk = new H264Packetizer({ maxPayloadSize: 1000 });
    const packets = corpusAccessUnits().flatMap((au, i) => pk.packetize(au, i * 3600));
    check((onUnit) => new H264Depacketizer({ onUnit }), packets, 100);
  });

  it('H.265 (single NAL, AP, FU)', () => {
    const pk = new H265Packetizer({ maxPayloadSize: 1000 });
    const aus = corpusH265AccessUnits();
    const packets = aus.flatMap((au, i) => pk.packetize(au, i * 3600));
    check((onUnit) => new H265Depacketizer({ onUnit }), packets, 50);
  });

  it('AAC (AAC-hbr, several frames per packet and fragmented frames)', () => {
    const raw = adtsFrames(AAC_CORPUS).map((f) => f.raw);
    for (const opts of [{ maxPayloadSize: 1400, maxFramesPerPacket: 8 }, { maxPayloadSize: 40 }]) {
      const packets = new AacPacketizer(opts).packetize(raw, 1000);
      check((onUnit) => new AacDepacketizer({ onUnit }, { fmtp: AAC_FMTP }), packets, raw.length);
    }
  });

  it('G.711 µ-law and A-law', () => {
    for (const [file, codec] of [['g711u-8k.ulaw', 'pcmu'], ['g711a-8k.alaw', 'pcma']] as const) {
      const packets = new G711Packetizer({ samplesPerPacket: 160 }).packetize(corpus(file), 0);
      check((onUnit) => new G711Depacketizer({ onUnit }, { codec }), packets, 100);
    }
  });

  it('JPEG (RFC 2435, quantization tables in band, Q 255 and cached Q 200)', () => {
    const dir = fileURLToPath(new URL('./jpeg/fixtures/', import.meta.url));
    const jpegs = ['gst-420-01.jpg', 'gst-420-02.jpg', 'gst-420-03.jpg'].map((f) => new Uint8Array(readFileSync(dir + f)));
    for (const q of [255, 200]) {
      const pk = new JpegPacketizer({ maxPayloadSize: 1000, q });
      const packets = jpegs.flatMap((j, i) => pk.packetize(j, i * 3600).map((p) => (q < 255 && i > 0 ? withoutTables(p) : p)));
      check((onUnit) => new JpegDepacketizer({ onUnit }, { width: 320, height: 180 }), packets, jpegs.length);
    }
  });
});

/**
 * RFC 2435 §3.1.8: a frame's first packet with Q 128-254 may carry a zero-length quantization table
 * header, meaning "the tables sent before with this Q". Rewrites such a packet that way.
 */
function withoutTables(pkt: Uint8Array): Uint8Array {
  const h = 12;
  const fragmentOffset = (pkt[h + 1]! << 16) | (pkt[h + 2]! << 8) | pkt[h + 3]!;
  if (fragmentOffset !== 0) return pkt;
  const qAt = h + 8 + ((pkt[h + 4]! & 0x40) !== 0 ? 4 : 0);
  const len = (pkt[qAt + 2]! << 8) | pkt[qAt + 3]!;
  const out = new Uint8Array(pkt.length - len);
  out.set(pkt.subarray(0, qAt + 2));
  out.set(pkt.subarray(qAt + 4 + len), qAt + 4);
  return out;
}
