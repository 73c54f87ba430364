import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { JpegDepacketizer } from '../../src/codec/jpeg/depacketizer.js';
import { JpegPacketizer, parseJpegForRtp } from '../../src/codec/jpeg/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { ProtocolError } from '../../src/errors.js';
import { Collect, hex } from '../codec/h264/support.js';

const JPEGS = ['gst-420-01.jpg', 'gst-420-02.jpg', 'gst-422-q50.jpg'].map((n) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../codec/jpeg/fixtures/${n}`, import.meta.url)))));
const SCANS = JPEGS.map((j) => hex(parseJpegForRtp(j).scan));

function feed(d: JpegDepacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) if (v.parse(p) === RtpStatus.Ok) d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
}

describe('RFC 2435 properties', { timeout: PROP_TIMEOUT }, () => {
  it('any payload size round trips; random drops give whole frames (drop) or true prefixes flagged (flag)', async () => {
    await assertProp(
      fc.property(fc.integer({ min: 273, max: 9000 }), fc.constantFrom(128, 200, 255), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom('drop' as const, 'flag' as const), (max, q, drops, lossMode) => {
        const p = new JpegPacketizer({ maxPayloadSize: max, q, initialSequenceNumber: 65530 });
        const packets = JPEGS.flatMap((j, i) => p.packetize(j, i * 3000));
        const dropSet = new Set(drops.map((x) => 1 + (x % (packets.length - 2))));
        const c = new Collect();
        const d = new JpegDepacketizer(c, { lossMode, height: 180 });
        feed(d, packets.filter((_, i) => !dropSet.has(i)));
        d.flush();
        for (const e of c.errors) expect(e).toBeInstanceOf(ProtocolError);
        for (const u of c.units) {
          const i = u.timestamp / 3000;
          const scan = hex(parseJpegForRtp(u.data).scan);
          if (u.loss) expect(SCANS[i]!.startsWith(scan)).toBe(true);
          else expect(scan).toBe(SCANS[i]);
          if (lossMode === 'drop') expect(u.loss).toBe(false);
        }
        if (dropSet.size === 0) expect(c.units.length).toBe(JPEGS.length);
      }),
      { numRuns: Math.max(10, PROP_RUNS >> 2) },
    );
  });

  it('random and mutated packets give only typed errors and bounded frames', async () => {
    const packets = new JpegPacketizer({ maxPayloadSize: 700 }).packetize(JPEGS[0]!, 0);
    await assertProp(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.tuple(fc.nat(packets.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, at, v]) => {
              const pk = packets[i]!.slice();
              pk[at % pk.length] = v;
              return pk;
            }),
          ),
          { maxLength: 40 },
        ),
        (input) => {
          const c = new Collect();
          const d = new JpegDepacketizer(c, { lossMode: 'flag', maxAccessUnitSize: 50_000 });
          feed(d, input);
          d.flush();
          for (const e of c.errors) expect(e).toBeInstanceOf(ProtocolError);
          for (const u of c.units) expect(u.data.length).toBeLessThanOrEqual(50_002);
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });
});
