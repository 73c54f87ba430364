import { describe, expect, it } from 'vitest';
import { H264Depacketizer } from '../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { H265Depacketizer } from '../../src/codec/h265/depacketizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import type { AccessUnit, AccessUnitSink, Depacketizer } from '../../src/codec/types.js';
import type { ProtocolError } from '../../src/errors.js';
import { Collect, hex } from './h264/support.js';
import { corpusH265AccessUnits } from './h265/support.js';

/** What a unit looked like while onUnit ran (copied: valid in transient mode too). */
function snapshot(u: AccessUnit): string {
  return `${u.codec}:${u.timestamp}:${u.sequenceNumber}:${u.keyframe}:${u.loss}:${u.discontinuity}:${hex(u.data)}:${(u.nalus ?? []).map(hex).join(',')}`;
}

function feed(d: Depacketizer, packets: Uint8Array[], skip: ReadonlySet<number> = new Set()): void {
  const v = new RtpPacketView();
  packets.forEach((p, i) => {
    if (skip.has(i)) return;
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  });
  d.flush();
}

/** A NAL of `size` bytes with the given header bytes and a body free of 00 bytes. */
function body(header: number[], size: number, seed: number): Uint8Array {
  const u = new Uint8Array(size);
  u.set(header);
  for (let i = header.length; i < size; i++) u[i] = 1 + ((i * 131 + seed * 17) % 254);
  return u;
}

// The shared mechanism, driven through both codecs: [codec, packetizer, depacketizer, key NAL, non-key NAL, names].
const CODECS = [
  {
    name: 'H.264',
    pack: () => new H264Packetizer({ maxPayloadSize: 1000, initialSequenceNumber: 65534, ssrc: 1 }),
    depack: (sink: AccessUnitSink, opts: { lossMode?: 'drop' | 'flag'; maxNalusPerAccessUnit?: number }) => new H264Depacketizer(sink, opts),
    key: (size: number, seed: number) => body([0x65], size, seed),
    delta: (size: number, seed: number) => body([0x41], size, seed),
    lost: 'H264_FRAGMENT_LOST',
    fu: 'FU-A',
  },
  {
    name: 'H.265',
    pack: () => new H265Packetizer({ maxPayloadSize: 1000, initialSequenceNumber: 65534, ssrc: 1 }),
    depack: (sink: AccessUnitSink, opts: { lossMode?: 'drop' | 'flag'; maxNalusPerAccessUnit?: number }) => new H265Depacketizer(sink, opts),
    key: (size: number, seed: number) => body([19 << 1, 1], size, seed),
    delta: (size: number, seed: number) => body([1 << 1, 1], size, seed),
    lost: 'H265_FRAGMENT_LOST',
    fu: 'FU',
  },
] as const;

describe('NalUnitAssembler (shared by the H.264 and H.265 depacketizers)', () => {
  for (const k of CODECS) {
    describe(k.name, () => {
      it('a gap inside an FU drops the unit with the codec error and marks the next one', () => {
        const p = k.pack();
        // Unit 0: one small slice then a 3-fragment slice; the middle fragment (packet 2) is lost.
        const pkts = [...p.packetize([k.delta(200, 1), k.delta(2500, 2)], 3000), ...p.packetize([k.delta(300, 3)], 6000)];
        const c = new Collect();
        const d = k.depack(c, {});
        feed(d, pkts, new Set([2]));
        expect(c.errors.map((e) => [e.code, e.message])).toEqual([[k.lost, `${k.lost}: ${k.name} access unit dropped: packets lost inside an ${k.fu}`]]);
        expect(c.units.map((u) => [u.timestamp, u.discontinuity, u.loss])).toEqual([[6000, true, false]]);
        expect(d.stats).toMatchObject({ packets: pkts.length - 1, units: 1, droppedUnits: 1, lostPackets: 1, oldPackets: 0 });
      });

      it("'flag' mode keeps complete NALs only; an aborted keyframe slice does not make a keyframe", () => {
        const p = k.pack();
        const pkts = p.packetize([k.delta(200, 1), k.key(2500, 2)], 3000);
        const c = new Collect();
        const d = k.depack(c, { lossMode: 'flag' });
        feed(d, pkts, new Set([2]));
        expect(c.units).toHaveLength(1);
        const u = c.units[0]!;
        expect(u.loss).toBe(true);
        expect(u.keyframe).toBe(false);
        expect(u.nalus!.map(hex)).toEqual([hex(k.delta(200, 1))]);
      });

      it('stale and duplicate packets are counted and ignored (sequence numbers across the wrap)', () => {
        const p = k.pack();
        const pkts = [...p.packetize([k.key(1500, 1)], 3000), ...p.packetize([k.delta(100, 2)], 6000)];
        const c = new Collect();
        const d = k.depack(c, {});
        feed(d, [pkts[0]!, pkts[0]!, pkts[1]!, pkts[0]!, pkts[2]!]);
        expect(c.errors).toEqual([]);
        expect(c.units.map((u) => [u.sequenceNumber, u.keyframe])).toEqual([
          [65534, true],
          [0, false],
        ]);
        expect(d.stats).toMatchObject({ packets: 5, oldPackets: 2, lostPackets: 0 });
      });

      it('the NAL cap drops the unit with AU_TOO_LARGE and the stream goes on', () => {
        const p = k.pack();
        const pkts = [...p.packetize([k.delta(10, 1), k.delta(10, 2), k.delta(10, 3)], 3000), ...p.packetize([k.delta(10, 4)], 6000)];
        const c = new Collect();
        feed(k.depack(c, { maxNalusPerAccessUnit: 2 }), pkts);
        expect(c.errors.map((e) => [e.code, e.message])).toEqual([['AU_TOO_LARGE', `AU_TOO_LARGE: ${k.name} access unit more than 2 NAL units: dropped`]]);
        expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[6000, true]]);
      });
    });
  }
});

describe('H265Depacketizer transient output (through the shared assembler)', () => {
  const aus = corpusH265AccessUnits().slice(0, 30);
  // One large IRAP unit (over the 512 KiB slab) in the middle, so the reused buffer has to grow.
  aus.splice(10, 0, [body([19 << 1, 1], 700_000, 9)]);
  const p = new H265Packetizer({ maxPayloadSize: 1400, initialSequenceNumber: 65000, ssrc: 5 });
  const pkts = aus.flatMap((au, i) => p.packetize(au, 90_000 + i * 3600));
  const before = pkts.map(hex);

  function run(transient: boolean): { snaps: string[]; kept: AccessUnit[]; errors: ProtocolError[] } {
    const snaps: string[] = [];
    const kept: AccessUnit[] = [];
    const errors: ProtocolError[] = [];
    const d = new H265Depacketizer(
      {
        onUnit: (u) => {
          snaps.push(snapshot(u));
          kept.push(u);
        },
        onError: (e) => errors.push(e),
      },
      { transient },
    );
    feed(d, pkts);
    return { snaps, kept, errors };
  }

  it('delivers the same units as owned mode, all written into one reused buffer', () => {
    const owned = run(false);
    const transient = run(true);
    expect(owned.errors).toEqual([]);
    expect(transient.errors).toEqual([]);
    expect(owned.snaps).toHaveLength(aus.length);
    expect(transient.snaps).toEqual(owned.snaps);
    // Owned units are "yours to keep": unchanged after the run.
    expect(owned.kept.map(snapshot)).toEqual(owned.snaps);
    // Transient: every unit after the large one lives in the same (grown) buffer, from offset 0.
    const after = transient.kept.slice(11);
    expect(new Set(after.map((u) => u.data.buffer)).size).toBe(1);
    for (const u of after) expect(u.data.byteOffset).toBe(0);
    expect(after[0]!.data.buffer.byteLength).toBeGreaterThanOrEqual(700_006);
    // ... so a kept transient unit no longer holds what was delivered.
    expect(snapshot(transient.kept[11]!)).not.toBe(transient.snaps[11]);
    expect(pkts.map(hex)).toEqual(before);
  });
});
