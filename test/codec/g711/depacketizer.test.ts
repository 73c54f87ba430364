import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { G711Depacketizer, type AudioAccessUnit } from '../../../src/codec/g711/depacketizer.js';
import { G711Packetizer } from '../../../src/codec/g711/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../../src/rtp/rtp-packet.js';
import { hex } from '../h264/support.js';

const corpus = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../../corpus/${name}`, import.meta.url))));

function run(packets: Uint8Array[], codec: 'pcmu' | 'pcma', channels = 1): { units: AudioAccessUnit[]; d: G711Depacketizer } {
  const units: AudioAccessUnit[] = [];
  const d = new G711Depacketizer({ onUnit: (u) => units.push(u) }, { codec, channels });
  const v = new RtpPacketView();
  for (const p of packets) {
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
  return { units, d };
}

describe('G711Packetizer + G711Depacketizer', () => {
  const CASES = [
    { file: 'g711u-8k.ulaw', codec: 'pcmu' as const, pt: 0, spp: 160, channels: 1 },
    { file: 'g711a-8k.alaw', codec: 'pcma' as const, pt: 8, spp: 320, channels: 1 },
    { file: 'g711u-8k.ulaw', codec: 'pcmu' as const, pt: 0, spp: 77, channels: 1 },
    { file: 'g711a-8k.alaw', codec: 'pcma' as const, pt: 8, spp: 80, channels: 2 },
  ];
  for (const tc of CASES) {
    it(`${tc.file}, ${tc.spp} samples x ${tc.channels} ch per packet: one unit per packet, bytes and timestamps exact`, () => {
      const bytes = corpus(tc.file);
      const copy = hex(bytes);
      const p = new G711Packetizer({ payloadType: tc.pt, samplesPerPacket: tc.spp, channels: tc.channels, initialSequenceNumber: 65500 });
      const packets = p.packetize(bytes, 0xffffff00);
      const { units } = run(packets, tc.codec, tc.channels);
      expect(units.length).toBe(Math.ceil(bytes.length / (tc.spp * tc.channels)));
      expect(hex(Buffer.concat(units.map((u) => u.data)))).toBe(copy);
      expect(hex(bytes)).toBe(copy);
      expect(units.map((u) => u.timestamp)).toEqual(units.map((_, i) => (0xffffff00 + i * tc.spp) >>> 0));
      expect(units.every((u) => u.codec === tc.codec && u.sampleRate === 8000 && u.keyframe && !u.loss && !u.discontinuity)).toBe(true);
      expect(units.slice(0, -1).every((u) => u.sampleCount === tc.spp)).toBe(true);
      // 4 s of 8 kHz audio
      expect(units.reduce((a, u) => a + u.sampleCount, 0)).toBe(32000 / tc.channels);
    });
  }

  it('a gap flags the next unit as a discontinuity, duplicates are ignored, units survive buffer reuse', () => {
    const p = new G711Packetizer({ initialSequenceNumber: 10 });
    const packets = p.packetize(corpus('g711u-8k.ulaw').subarray(0, 1600), 0);
    const kept = [packets[0]!, packets[0]!, packets[1]!, packets[4]!, packets[5]!];
    const { units, d } = run(kept, 'pcmu');
    expect(units.map((u) => [u.timestamp, u.discontinuity])).toEqual([
      [0, false],
      [160, false],
      [640, true],
      [800, false],
    ]);
    expect(d.stats).toMatchObject({ lostPackets: 2, oldPackets: 1, units: 4 });
    const before = hex(units[0]!.data);
    packets[0]!.fill(0);
    expect(hex(units[0]!.data)).toBe(before);
  });
});
