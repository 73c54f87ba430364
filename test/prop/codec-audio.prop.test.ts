import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { AacDepacketizer } from '../../src/codec/aac/depacketizer.js';
import { AacPacketizer } from '../../src/codec/aac/packetizer.js';
import { G711Depacketizer, type AudioAccessUnit } from '../../src/codec/g711/depacketizer.js';
import { G711Packetizer } from '../../src/codec/g711/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { ProtocolError } from '../../src/errors.js';
import type { Depacketizer } from '../../src/codec/types.js';
import { hex } from '../codec/h264/support.js';
import { AAC_CORPUS, AAC_FMTP, adtsFrames } from '../codec/aac/support.js';

function feed(d: Depacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) if (v.parse(p) === RtpStatus.Ok) d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
}

const raw = adtsFrames(AAC_CORPUS).map((f) => f.raw).slice(0, 40);

describe('AAC (RFC 3640) properties', { timeout: PROP_TIMEOUT }, () => {
  it('any payload size and grouping round trips; random drops give only whole original frames at their timestamps', async () => {
    await assertProp(
      fc.property(fc.integer({ min: 5, max: 3000 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.nat(), { maxLength: 8 }), (max, group, drops) => {
        const packets = new AacPacketizer({ maxPayloadSize: max, maxFramesPerPacket: group, initialSequenceNumber: 65530 }).packetize(raw, 5000);
        const units: AudioAccessUnit[] = [];
        const errors: ProtocolError[] = [];
        const d = new AacDepacketizer({ onUnit: (u) => units.push(u), onError: (e) => errors.push(e) }, { fmtp: AAC_FMTP });
        const dropSet = new Set(drops.map((x) => x % packets.length));
        feed(d, packets.filter((_, i) => !dropSet.has(i)));
        d.flush();
        for (const e of errors) expect(e).toBeInstanceOf(ProtocolError);
        for (const u of units) {
          const k = (u.timestamp - 5000) / 1024;
          expect(Number.isInteger(k)).toBe(true);
          expect(hex(u.data)).toBe(hex(raw[k]!));
        }
        if (dropSet.size === 0) {
          expect(errors).toEqual([]);
          expect(units.length).toBe(raw.length);
        }
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random bytes give only typed errors', async () => {
    await assertProp(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 40 }), fc.boolean(), (payloads, marker) => {
        const errors: unknown[] = [];
        let bytes = 0;
        const d = new AacDepacketizer({ onUnit: (u) => (bytes += u.data.length), onError: (e) => errors.push(e) }, { fmtp: AAC_FMTP, maxAccessUnitSize: 5000 });
        payloads.forEach((p, i) => d.push({ payload: p, marker: marker || i % 3 === 0, timestamp: (i >> 1) * 1024, sequenceNumber: i }));
        d.flush();
        for (const e of errors) expect(e).toBeInstanceOf(ProtocolError);
        expect(bytes).toBeLessThanOrEqual(payloads.reduce((a, p) => a + p.length, 0));
      }),
      { numRuns: PROP_RUNS },
    );
  });
});

describe('G.711 properties', { timeout: PROP_TIMEOUT }, () => {
  it('any packet size round trips; drops lose exactly the dropped packets and flag a discontinuity', async () => {
    await assertProp(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4000 }), fc.integer({ min: 1, max: 500 }), fc.array(fc.nat(), { maxLength: 5 }), (samples, spp, drops) => {
        const packets = new G711Packetizer({ samplesPerPacket: spp, initialSequenceNumber: 65535 }).packetize(samples, 0);
        const dropSet = new Set(drops.map((x) => x % packets.length));
        const units: AudioAccessUnit[] = [];
        feed(new G711Depacketizer({ onUnit: (u) => units.push(u) }), packets.filter((_, i) => !dropSet.has(i)));
        expect(units.length).toBe(packets.length - dropSet.size);
        for (const u of units) {
          expect(hex(u.data)).toBe(hex(samples.subarray(u.timestamp, u.timestamp + spp)));
          const i = u.timestamp / spp;
          expect(u.discontinuity).toBe(i > 0 && dropSet.has(i - 1) && [...Array(i).keys()].some((k) => !dropSet.has(k)));
        }
      }),
      { numRuns: PROP_RUNS },
    );
  });
});
