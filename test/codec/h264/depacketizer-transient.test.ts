import { describe, expect, it } from 'vitest';
import { H264Depacketizer, type H264DepacketizerOptions } from '../../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../../src/codec/h264/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../../src/rtp/rtp-packet.js';
import type { AccessUnit } from '../../../src/codec/types.js';
import type { ProtocolError } from '../../../src/errors.js';
import { corpusAccessUnits, hex } from './support.js';

/** What a unit looked like while onUnit ran (copies: valid in both modes). */
interface Snapshot {
  timestamp: number;
  sequenceNumber: number;
  keyframe: boolean;
  loss: boolean;
  discontinuity: boolean;
  data: string;
  nalus: string[];
}

function snapshot(u: AccessUnit): Snapshot {
  return {
    timestamp: u.timestamp,
    sequenceNumber: u.sequenceNumber,
    keyframe: u.keyframe,
    loss: u.loss,
    discontinuity: u.discontinuity,
    data: hex(u.data),
    nalus: (u.nalus ?? []).map(hex),
  };
}

/** Large NAL with a deterministic body free of 00 00 0x sequences. */
function bigNal(type: number, size: number, seed: number): Uint8Array {
  const u = new Uint8Array(size);
  u[0] = 0x60 | type;
  let x = seed;
  for (let i = 1; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    u[i] = 1 + ((x >>> 16) % 255);
  }
  return u;
}

const SPS = Buffer.from('6742c028da01e0089f97011000000300100000030320f1832a', 'hex');
const PPS = Buffer.from('68ce0fc8', 'hex');

/** GOP-like stream: IDRs of 300 KB - 1.2 MB (over the 512 KiB slab, one or several slices), small P frames. */
function bigStream(): Uint8Array[][] {
  const aus: Uint8Array[][] = [];
  const idrSizes = [300_000, 1_200_000, 700_000];
  idrSizes.forEach((size, g) => {
    const slices = g === 1 ? 3 : 1;
    const au: Uint8Array[] = [SPS, PPS];
    for (let s = 0; s < slices; s++) au.push(bigNal(5, Math.floor(size / slices), g * 10 + s));
    aus.push(au);
    for (let f = 1; f < 6; f++) aus.push([bigNal(1, 20_000 + f * 3_000, g * 100 + f)]);
  });
  return aus;
}

function packets(aus: Uint8Array[][]): Uint8Array[] {
  const p = new H264Packetizer({ maxPayloadSize: 1400, initialSequenceNumber: 65000, ssrc: 3 });
  return aus.flatMap((au, i) => p.packetize(au, 1000 + i * 3600));
}

/** Runs packets through a depacketizer; `keep` receives each unit as delivered (not copied). */
function run(pkts: Uint8Array[], opts: H264DepacketizerOptions, skip = new Set<number>()): { snaps: Snapshot[]; kept: AccessUnit[]; errors: ProtocolError[] } {
  const snaps: Snapshot[] = [];
  const kept: AccessUnit[] = [];
  const errors: ProtocolError[] = [];
  const d = new H264Depacketizer(
    {
      onUnit: (u) => {
        snaps.push(snapshot(u));
        kept.push(u);
      },
      onError: (e) => errors.push(e),
    },
    opts,
  );
  const v = new RtpPacketView();
  pkts.forEach((p, i) => {
    if (skip.has(i)) return;
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  });
  d.flush();
  return { snaps, kept, errors };
}

describe('H264Depacketizer transient output', () => {
  const inputs: [string, Uint8Array[][]][] = [
    ['corpus (640x360)', corpusAccessUnits()],
    ['1080p-like units over the slab size', bigStream()],
  ];
  for (const [name, aus] of inputs) {
    for (const output of ['annexb', 'avcc'] as const) {
      it(`${name}, ${output}: the same bytes and fields as the owned default while onUnit runs`, () => {
        const pkts = packets(aus);
        const before = pkts.map(hex);
        const owned = run(pkts, { output });
        const transient = run(pkts, { output, transient: true });
        expect(pkts.map(hex)).toEqual(before);
        expect(owned.errors).toEqual([]);
        expect(transient.errors).toEqual([]);
        expect(owned.snaps.length).toBe(aus.length);
        expect(transient.snaps).toEqual(owned.snaps);
        // NAL units are the packetized ones, byte for byte.
        expect(owned.snaps.map((s) => s.nalus)).toEqual(aus.map((au) => au.map(hex)));
      });
    }
  }

  it('lossy units in flag mode and drops in drop mode match the owned default', () => {
    const pkts = packets(bigStream());
    const skip = new Set([3, 400, 401, 900, pkts.length - 2]);
    for (const lossMode of ['drop', 'flag'] as const) {
      const owned = run(pkts, { lossMode }, skip);
      const transient = run(pkts, { lossMode, transient: true }, skip);
      expect(owned.snaps.some((s) => s.discontinuity)).toBe(true);
      if (lossMode === 'flag') expect(owned.snaps.some((s) => s.loss)).toBe(true);
      expect(transient.snaps).toEqual(owned.snaps);
      expect(transient.errors.map((e) => e.code)).toEqual(owned.errors.map((e) => e.code));
    }
  });

  it('reuses one buffer: a unit kept past onUnit is overwritten by the next (documented lifetime)', () => {
    const aus = bigStream();
    const { snaps, kept } = run(packets(aus), { transient: true });
    expect(new Set(kept.map((u) => u.data.buffer)).size).toBeLessThanOrEqual(3); // grown by doubling, at most twice here
    expect(kept.every((u) => u.data.byteOffset === 0)).toBe(true);
    // The first P frame, read after the fact, no longer holds what onUnit saw.
    expect(hex(kept[1]!.data)).not.toBe(snaps[1]!.data);
  });

  it('owned units stay intact after later units, including units that outgrow their slab', () => {
    const aus = bigStream();
    const { snaps, kept } = run(packets(aus), {});
    expect(kept.map((u) => hex(u.data))).toEqual(snaps.map((s) => s.data));
    expect(kept.map((u) => (u.nalus ?? []).map(hex))).toEqual(snaps.map((s) => s.nalus));
    // Units share slabs (no allocation per unit): far fewer buffers than units.
    expect(new Set(kept.map((u) => u.data.buffer)).size).toBeLessThan(kept.length / 2);
  });
});
