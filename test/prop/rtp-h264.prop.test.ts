import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { H264Depacketizer } from '../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { ProtocolError } from '../../src/errors.js';
import { Collect, corpusAccessUnits, hex } from '../codec/h264/support.js';

/** A NAL: header (F=0, NRI random, type from a realistic set) + body without 0x00/0x01 bytes. */
const nalArb = fc
  .tuple(fc.constantFrom(1, 5, 6, 7, 8, 9), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 0, maxLength: 3000 }))
  .map(([type, nri, body]) => {
    const u = new Uint8Array(1 + body.length);
    u[0] = (nri << 5) | type;
    for (let i = 0; i < body.length; i++) u[i + 1] = body[i]! < 2 ? body[i]! + 2 : body[i]!;
    return u;
  });
/** An access unit: non-VCL NALs then at least one slice. */
const auArb = fc.tuple(fc.array(nalArb, { maxLength: 3 }), fc.array(nalArb.map((n) => ((n[0] = (n[0]! & 0xe0) | (n[0]! & 1 ? 1 : 5)), n)), { minLength: 1, maxLength: 3 })).map(([a, b]) => [...a, ...b]);

function feed(d: H264Depacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) {
    if (v.parse(p) !== RtpStatus.Ok) continue;
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
}

function packetizeAll(aus: Uint8Array[][], max: number, stapA: boolean): { packets: Uint8Array[]; ts: number[] } {
  const p = new H264Packetizer({ maxPayloadSize: max, stapA, initialSequenceNumber: 65500 });
  const ts = aus.map((_, i) => (0xffff0000 + i * 3000) >>> 0);
  return { packets: aus.flatMap((au, i) => p.packetize(au, ts[i]!)), ts };
}

describe('H.264 RTP properties', { timeout: PROP_TIMEOUT }, () => {
  it('packetize -> depacketize is the identity (random NAL sizes and payload sizes)', async () => {
    await assertProp(
      fc.property(fc.array(auArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 3, max: 4000 }), fc.boolean(), fc.boolean(), (aus, max, stapA, marker) => {
        const { packets, ts } = packetizeAll(aus, max, stapA);
        if (!marker) for (const p of packets) p[1] = p[1]! & 0x7f; // FLIR: no marker bits at all
        const before = packets.map(hex);
        const c = new Collect();
        const d = new H264Depacketizer(c, { insertParameterSets: false });
        feed(d, packets);
        d.flush();
        // random bodies make junk SPSs: reported, never fatal
        expect(c.errors.filter((e) => e.code !== 'H264_BAD_SPS')).toEqual([]);
        expect(c.units.map((u) => u.nalus!.map(hex))).toEqual(aus.map((au) => au.map(hex)));
        expect(c.units.map((u) => u.timestamp)).toEqual(ts);
        expect(packets.map(hex)).toEqual(before);
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random drops give only whole original units (drop) or whole original NALs (flag), never glued ones', async () => {
    const corpus = corpusAccessUnits().slice(0, 30);
    await assertProp(
      fc.property(fc.integer({ min: 50, max: 3000 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom('drop' as const, 'flag' as const), (max, drops, lossMode) => {
        const { packets, ts } = packetizeAll(corpus, max, true);
        // The first and the last packet are kept: a loss before the first or after the last packet
        // of a capture is undetectable (a mid-stream join / end of stream).
        const dropSet = new Set(drops.map((x) => 1 + (x % (packets.length - 2))));
        const kept = packets.filter((_, i) => !dropSet.has(i));
        const c = new Collect();
        const d = new H264Depacketizer(c, { lossMode, insertParameterSets: false });
        feed(d, kept);
        d.flush();
        for (const e of c.errors) expect(e).toBeInstanceOf(ProtocolError);
        for (const u of c.units) {
          const i = ts.indexOf(u.timestamp);
          expect(i).toBeGreaterThanOrEqual(0);
          const orig = corpus[i]!.map(hex);
          const got = u.nalus!.map(hex);
          if (!u.loss) expect(got).toEqual(orig);
          else for (const n of got) expect(orig).toContain(n);
          if (lossMode === 'drop') expect(u.loss).toBe(false);
        }
        if (dropSet.size === 0) expect(c.units.length).toBe(corpus.length);
      }),
      { numRuns: Math.max(10, PROP_RUNS >> 2) },
    );
  });

  it('random and mutated packets give only typed errors, bounded output', async () => {
    const corpus = corpusAccessUnits().slice(0, 5);
    const { packets } = packetizeAll(corpus, 700, true);
    await assertProp(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.nat(packets.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, at, v]) => {
          const p = packets[i]!.slice();
          p[at % p.length] = v;
          return p;
        })), { maxLength: 60 }),
        (input) => {
          const c = new Collect();
          const d = new H264Depacketizer(c, { lossMode: 'flag', maxAccessUnitSize: 100_000 });
          feed(d, input);
          d.flush();
          for (const e of c.errors) expect(e).toBeInstanceOf(ProtocolError);
          for (const u of c.units) expect(u.data.length).toBeLessThanOrEqual(100_000);
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });

  it('RtpPacketView never throws on arbitrary bytes and keeps offsets in range', async () => {
    await assertProp(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const v = new RtpPacketView();
        if (v.parse(b) === RtpStatus.Ok) {
          expect(v.payloadOffset).toBeGreaterThanOrEqual(12);
          expect(v.payloadOffset + v.payloadLength + v.paddingLength).toBe(b.length);
        }
      }),
      { numRuns: PROP_RUNS * 5 },
    );
  });
});
