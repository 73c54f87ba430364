import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { H265Depacketizer } from '../../src/codec/h265/depacketizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { ProtocolError } from '../../src/errors.js';
import { Collect, hex } from '../codec/h264/support.js';
import { corpusH265AccessUnits } from '../codec/h265/support.js';

const nalArb = (types: number[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...types), fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 3000 })).map(([type, tid, body]) => {
    const u = new Uint8Array(2 + body.length);
    u[0] = type << 1;
    u[1] = tid;
    for (let i = 0; i < body.length; i++) u[i + 2] = body[i]! < 2 ? body[i]! + 2 : body[i]!;
    return u;
  });
const auArb = fc.tuple(fc.array(nalArb([35, 39]), { maxLength: 2 }), fc.array(nalArb([0, 1, 19, 21]), { minLength: 1, maxLength: 3 }), fc.array(nalArb([40]), { maxLength: 1 })).map(([a, b, c]) => [...a, ...b, ...c]);

function feed(d: H265Depacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) if (v.parse(p) === RtpStatus.Ok) d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
}

function packetizeAll(aus: Uint8Array[][], max: number, aggregate: boolean): { packets: Uint8Array[]; ts: number[] } {
  const p = new H265Packetizer({ maxPayloadSize: max, aggregate, initialSequenceNumber: 65500 });
  const ts = aus.map((_, i) => (0xffff0000 + i * 3000) >>> 0);
  return { packets: aus.flatMap((au, i) => p.packetize(au, ts[i]!)), ts };
}

describe('H.265 RTP properties', { timeout: PROP_TIMEOUT }, () => {
  it('packetize -> depacketize is the identity for any NAL and payload sizes', async () => {
    await assertProp(
      fc.property(fc.array(auArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 4, max: 4000 }), fc.boolean(), fc.boolean(), (aus, max, aggregate, marker) => {
        const { packets, ts } = packetizeAll(aus, max, aggregate);
        if (!marker) for (const p of packets) p[1] = p[1]! & 0x7f;
        const before = packets.map(hex);
        const c = new Collect();
        const d = new H265Depacketizer(c, { insertParameterSets: false });
        feed(d, packets);
        d.flush();
        expect(c.errors).toEqual([]);
        expect(c.units.map((u) => u.nalus!.map(hex))).toEqual(aus.map((au) => au.map(hex)));
        expect(c.units.map((u) => u.timestamp)).toEqual(ts);
        expect(packets.map(hex)).toEqual(before);
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random drops give only whole original units (drop) or whole original NALs (flag)', async () => {
    const corpus = corpusH265AccessUnits().slice(0, 30);
    await assertProp(
      fc.property(fc.integer({ min: 50, max: 3000 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom('drop' as const, 'flag' as const), (max, drops, lossMode) => {
        const { packets, ts } = packetizeAll(corpus, max, true);
        const dropSet = new Set(drops.map((x) => 1 + (x % (packets.length - 2))));
        const c = new Collect();
        const d = new H265Depacketizer(c, { lossMode, insertParameterSets: false });
        feed(d, packets.filter((_, i) => !dropSet.has(i)));
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

  it('random and mutated packets give only typed errors and bounded units', async () => {
    const { packets } = packetizeAll(corpusH265AccessUnits().slice(0, 5), 700, true);
    await assertProp(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.tuple(fc.nat(packets.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, at, v]) => {
              const p = packets[i]!.slice();
              p[at % p.length] = v;
              return p;
            }),
          ),
          { maxLength: 60 },
        ),
        fc.boolean(),
        (input, donl) => {
          const c = new Collect();
          const d = new H265Depacketizer(c, { lossMode: 'flag', maxAccessUnitSize: 100_000, spropMaxDonDiff: donl ? 1 : 0 });
          feed(d, input);
          d.flush();
          for (const e of c.errors) expect(e).toBeInstanceOf(ProtocolError);
          for (const u of c.units) expect(u.data.length).toBeLessThanOrEqual(100_000);
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });
});
