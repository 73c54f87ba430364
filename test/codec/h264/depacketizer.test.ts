import { describe, expect, it } from 'vitest';
import { H264Depacketizer, type H264DepacketizerOptions } from '../../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../../src/codec/h264/packetizer.js';
import type { RtpPayloadPacket } from '../../../src/codec/types.js';
import { Collect, corpusAccessUnits, hex } from './support.js';
import { feedRtp } from '../../support/rtp-feed.js';

const SPS = Buffer.from('6742c01eda0280bfe5c044000003000400000300c83c58ba80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');

/** A NAL of `type` and `size` bytes with a deterministic body free of 00 00 0x sequences. */
function nal(type: number, size: number, seed = 1): Uint8Array {
  const u = new Uint8Array(size);
  u[0] = 0x60 | type;
  for (let i = 1; i < size; i++) u[i] = 2 + ((i * 31 + seed * 7) % 250);
  return u;
}

function depack(opts: H264DepacketizerOptions = {}): { d: H264Depacketizer; c: Collect } {
  const c = new Collect();
  return { d: new H264Depacketizer(c, opts), c };
}

function payloadKind(p: Uint8Array): string {
  const t = p[12]! & 0x1f;
  return t === 24 ? 'stap' : t === 28 ? 'fu' : 'single';
}

// One table drives the packetizer and the depacketizer: every case is a round trip.
const CASES: { name: string; aus: Uint8Array[][]; max: number; stapA?: boolean; kinds: string[] }[] = [
  { name: 'single NAL', aus: [[nal(1, 100)]], max: 1400, kinds: ['single'] },
  { name: 'SPS+PPS+IDR aggregated then single', aus: [[SPS, PPS, nal(5, 900)]], max: 1400, kinds: ['stap'] },
  { name: 'STAP-A then FU-A', aus: [[SPS, PPS, nal(5, 3000)]], max: 1400, kinds: ['stap', 'fu', 'fu', 'fu'] },
  { name: 'no STAP-A', aus: [[SPS, PPS, nal(5, 100)]], max: 1400, stapA: false, kinds: ['single', 'single', 'single'] },
  { name: 'FU-A exact boundary', aus: [[nal(1, 1399)], [nal(1, 1400)], [nal(1, 1401)]], max: 1400, kinds: ['single', 'single', 'fu', 'fu'] },
  { name: 'tiny payload size', aus: [[nal(1, 10)]], max: 3, kinds: ['fu', 'fu', 'fu', 'fu', 'fu', 'fu', 'fu', 'fu', 'fu'] },
  { name: 'multi-slice picture', aus: [[nal(6, 20), nal(1, 2000, 2), nal(1, 500, 3)]], max: 1000, kinds: ['single', 'fu', 'fu', 'fu', 'single'] },
];

describe('H264Packetizer + H264Depacketizer case table', () => {
  for (const tc of CASES) {
    it(tc.name, () => {
      const p = new H264Packetizer({ maxPayloadSize: tc.max, stapA: tc.stapA ?? true, initialSequenceNumber: 65533, ssrc: 7 });
      const packets = tc.aus.flatMap((au, i) => p.packetize(au, 0xfffffff0 + i * 3000));
      for (const pk of packets) expect(pk.length - 12).toBeLessThanOrEqual(tc.max);
      expect(packets.map(payloadKind)).toEqual(tc.kinds);
      const before = packets.map(hex);
      const { d, c } = depack({ insertParameterSets: false });
      feedRtp(d, packets);
      expect(packets.map(hex)).toEqual(before);
      expect(c.errors).toEqual([]);
      expect(c.units.map((u) => u.nalus!.map(hex))).toEqual(tc.aus.map((au) => au.map(hex)));
      expect(c.units.map((u) => u.timestamp)).toEqual(tc.aus.map((_, i) => (0xfffffff0 + i * 3000) >>> 0));
      for (const u of c.units) {
        expect(u.loss).toBe(false);
        expect(u.keyframe).toBe(u.nalus!.some((n) => (n[0]! & 0x1f) === 5));
        // Annex B: each NAL preceded by 00 00 00 01, nothing else.
        expect(u.data.length).toBe(u.nalus!.reduce((a, n) => a + 4 + n.length, 0));
        expect(hex(u.data)).toBe(u.nalus!.map((n) => '00000001' + hex(n)).join(''));
      }
    });
  }
});

describe('corpus round trip', () => {
  const aus = corpusAccessUnits();
  it('has 100 access units', () => expect(aus.length).toBe(100));
  for (const max of [200, 1400, 65000]) {
    it(`max payload ${max}: byte-identical NAL units, 100 AUs, 640x360`, () => {
      const p = new H264Packetizer({ maxPayloadSize: max });
      const { d, c } = depack();
      for (let i = 0; i < aus.length; i++) feedRtp(d, p.packetize(aus[i]!, i * 3600));
      expect(c.errors).toEqual([]);
      expect(c.units.length).toBe(100);
      expect(c.units.map((u) => u.nalus!.map(hex))).toEqual(aus.map((au) => au.map(hex)));
      expect(c.units.filter((u) => u.keyframe).length).toBe(4);
      expect(d.spsInfo?.width).toBe(640);
      expect(d.spsInfo?.height).toBe(360);
      expect(d.codecString).toBe('avc1.42c01e');
    });
  }
});

function P(seq: number, ts: number, marker: boolean, payload: Uint8Array | number[]): RtpPayloadPacket {
  return { payload: payload instanceof Uint8Array ? payload : new Uint8Array(payload), marker, timestamp: ts, sequenceNumber: seq };
}
function fu(n: Uint8Array, from: number, to: number, start: boolean, end: boolean, extra = 0): Uint8Array {
  const out = new Uint8Array(2 + (to - from));
  out[0] = (n[0]! & 0xe0) | 28;
  out[1] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | extra | (n[0]! & 0x1f);
  out.set(n.subarray(from, to), 2);
  return out;
}

describe('camera quirks', () => {
  const idr = nal(5, 300);
  const p1 = nal(1, 200, 5);

  it('marker on SPS and PPS packets does not split the picture (Tapo TC70, Reolink Duo 2)', () => {
    const { d, c } = depack();
    [P(1, 90, true, SPS), P(2, 90, true, PPS), P(3, 90, true, idr), P(4, 180, true, p1)].forEach((x) => d.push(x));
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[SPS, PPS, idr].map(hex), [hex(p1)]]);
    expect(c.units[0]!.keyframe).toBe(true);
  });

  it('marker on SEI before the slices (moonfire-nvr #352)', () => {
    const { d, c } = depack();
    const sei = nal(6, 12);
    [P(1, 90, true, sei), P(2, 90, true, p1)].forEach((x) => d.push(x));
    expect(c.units.map((u) => u.nalus!.length)).toEqual([2]);
  });

  it('no marker at all: units end on timestamp change and on flush (FLIR M400)', () => {
    const { d, c } = depack();
    [P(1, 90, false, idr), P(2, 180, false, p1), P(3, 270, false, p1)].forEach((x) => d.push(x));
    expect(c.units.length).toBe(2);
    d.flush();
    expect(c.units.map((u) => u.timestamp)).toEqual([90, 180, 270]);
    expect(c.units.every((u) => !u.loss)).toBe(true);
  });

  it('FU with both start and end bits is a whole NAL (CostarHD)', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, fu(p1, 1, p1.length, true, true)));
    expect(c.units.map((u) => hex(u.nalus![0]!))).toEqual([hex(p1)]);
  });

  it('FU reserved bit set and empty fragments are tolerated (retina #115)', () => {
    const { d, c } = depack();
    d.push(P(1, 9, false, fu(p1, 1, 100, true, false, 0x20)));
    d.push(P(2, 9, false, fu(p1, 100, 100, false, false)));
    d.push(P(3, 9, true, fu(p1, 100, p1.length, false, true, 0x20)));
    expect(c.errors).toEqual([]);
    expect(c.units.map((u) => hex(u.nalus![0]!))).toEqual([hex(p1)]);
  });

  it('NAL type change mid-fragment is reported and the NAL dropped (Tiandy)', () => {
    for (const lossMode of ['drop', 'flag'] as const) {
      const { d, c } = depack({ lossMode });
      const sei = nal(6, 10);
      d.push(P(1, 9, false, sei));
      d.push(P(2, 9, false, fu(p1, 1, 100, true, false)));
      const bad = fu(p1, 100, p1.length, false, true);
      bad[1] = (bad[1]! & 0xe0) | 5;
      d.push(P(3, 9, true, bad));
      d.push(P(4, 18, true, p1));
      expect(c.errors[0]!.code).toBe('H264_BAD_PAYLOAD');
      if (lossMode === 'drop') {
        expect(c.errors.map((e) => e.code)).toEqual(['H264_BAD_PAYLOAD', 'H264_FRAGMENT_LOST']);
        expect(c.units.map((u) => u.timestamp)).toEqual([18]);
        expect(c.units[0]!.discontinuity).toBe(true);
      } else {
        d.flush();
        expect(c.units.map((u) => [u.timestamp, u.loss, u.nalus!.map(hex)])).toEqual([
          [9, true, [hex(sei)]],
          [18, false, [hex(p1)]],
        ]);
      }
    }
  });

  it('STAP-B, MTAP16, MTAP24, FU-B are rejected with H264_UNSUPPORTED and the stream goes on', () => {
    for (const t of [25, 26, 27, 29]) {
      const { d, c } = depack();
      d.push(P(1, 9, true, [0x60 | t, 0, 1, 2, 3, 4]));
      d.push(P(2, 18, true, p1));
      expect(c.errors.map((e) => e.code)).toEqual(['H264_UNSUPPORTED', 'H264_FRAGMENT_LOST']);
      expect(c.units.map((u) => u.timestamp)).toEqual([18]);
    }
  });

  it('packetization-mode is ignored: FU-A accepted whatever the SDP said (mediamtx #5887)', () => {
    const { d, c } = depack({ spropParameterSets: '' });
    d.push(P(1, 9, false, fu(idr, 1, 50, true, false)));
    d.push(P(2, 9, true, fu(idr, 50, idr.length, false, true)));
    expect(c.units[0]!.nalus!.map(hex)).toEqual([hex(idr)]);
  });

  it('Annex B start codes inside single NAL payloads are split (V380, retina #68)', () => {
    const { d, c } = depack();
    const payload = Buffer.concat([Buffer.from([0, 0, 0, 1]), SPS, Buffer.from([0, 0, 1]), PPS, Buffer.from([0, 0, 0, 1]), idr]);
    d.push(P(1, 9, true, payload));
    const inner = Buffer.concat([SPS, Buffer.from([0, 0, 0, 1]), PPS]);
    d.push(P(2, 18, true, inner));
    d.push(P(3, 18, true, p1));
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[SPS, PPS, idr].map(hex), [SPS, PPS, p1].map(hex)]);
  });

  it('a sequence gap inside an FU-A drops the unit and never glues two NALs', () => {
    const n1 = nal(1, 3000, 1);
    const n2 = nal(1, 3000, 2);
    for (const lossMode of ['drop', 'flag'] as const) {
      const { d, c } = depack({ lossMode });
      d.push(P(10, 9, false, fu(n1, 1, 1000, true, false)));
      // seq 11 (rest of n1 + start of n2) lost
      d.push(P(12, 9, false, fu(n2, 1000, 2000, false, false)));
      d.push(P(13, 9, true, fu(n2, 2000, n2.length, false, true)));
      d.push(P(14, 18, true, p1));
      if (lossMode === 'drop') {
        expect(c.units.map((u) => u.timestamp)).toEqual([18]);
        expect(c.errors.map((e) => e.code)).toEqual(['H264_FRAGMENT_LOST']);
        expect(d.stats.lostPackets).toBe(1);
      } else {
        // the lossy unit has no complete NAL, so nothing of it is delivered
        expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[18, true]]);
      }
    }
  });

  it('a gap after a marker flags the next unit, not the closed one', () => {
    const { d, c } = depack({ lossMode: 'flag' });
    d.push(P(1, 9, true, p1));
    d.push(P(3, 18, true, p1));
    expect(c.units.map((u) => [u.loss, u.discontinuity])).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  it('a gap without markers flags both neighbouring units', () => {
    const { d, c } = depack({ lossMode: 'flag' });
    d.push(P(1, 9, false, p1));
    d.push(P(3, 18, false, p1));
    d.flush();
    expect(c.units.map((u) => u.loss)).toEqual([true, true]);
  });

  it('mid-stream join on a middle FU fragment yields no fake NAL', () => {
    const { d, c } = depack({ lossMode: 'flag' });
    d.push(P(50, 9, false, fu(idr, 100, 200, false, false)));
    d.push(P(51, 9, true, fu(idr, 200, idr.length, false, true)));
    d.push(P(52, 18, true, p1));
    expect(c.units.map((u) => [u.timestamp, u.nalus!.map(hex)])).toEqual([[18, [hex(p1)]]]);
    expect(c.units[0]!.discontinuity).toBe(true);
  });

  it('duplicate / old packets are ignored', () => {
    const { d, c } = depack();
    d.push(P(5, 9, false, fu(p1, 1, 50, true, false)));
    d.push(P(5, 9, false, fu(p1, 1, 50, true, false)));
    d.push(P(6, 9, true, fu(p1, 50, p1.length, false, true)));
    expect(d.stats.oldPackets).toBe(1);
    expect(c.units.map((u) => hex(u.nalus![0]!))).toEqual([hex(p1)]);
  });

  it('parameter sets from sprop (trailing comma) are put before an IDR that lacks them', () => {
    const sprop = `${SPS.toString('base64')},${PPS.toString('base64')},`;
    const { d, c } = depack({ spropParameterSets: sprop });
    expect(d.spsInfo?.width).toBe(640);
    d.push(P(1, 9, true, idr));
    d.push(P(2, 18, true, p1));
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[SPS, PPS, idr].map(hex), [hex(p1)]]);
  });

  it('in-band parameter sets are remembered and inserted before a later IDR', () => {
    const { d, c } = depack();
    const sei = nal(6, 8);
    d.push(P(1, 9, true, SPS));
    d.push(P(2, 9, true, PPS));
    d.push(P(3, 9, true, idr));
    d.push(P(4, 18, false, sei));
    d.push(P(5, 18, true, idr));
    expect(c.units[1]!.nalus!.map(hex)).toEqual([sei, SPS, PPS, idr].map(hex));
  });

  it('AVCC output uses 4-byte lengths', () => {
    const { d, c } = depack({ output: 'avcc', insertParameterSets: false });
    d.push(P(1, 9, false, SPS));
    d.push(P(2, 9, true, idr));
    const u = c.units[0]!;
    expect(hex(u.data)).toBe(`${SPS.length.toString(16).padStart(8, '0')}${hex(SPS)}${idr.length.toString(16).padStart(8, '0')}${hex(idr)}`);
    expect(d.avcDecoderConfig()).toBeUndefined();
  });

  it('an access unit over the cap is dropped with AU_TOO_LARGE and memory stays bounded', () => {
    const { d, c } = depack({ maxAccessUnitSize: 4000 });
    const big = nal(1, 10_000);
    for (let i = 0, s = 1; i < big.length; i += 1000, s++) d.push(P(s, 9, i + 1000 >= big.length, fu(big, Math.max(1, i), Math.min(big.length, i + 1000), i === 0, i + 1000 >= big.length)));
    d.push(P(11, 18, true, p1));
    expect(c.errors.map((e) => e.code)).toEqual(['AU_TOO_LARGE']);
    expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[18, true]]);
  });

  it('units are yours to keep: later pushes do not change them, pushed payloads are not modified', () => {
    const { d, c } = depack();
    const a = fu(p1, 1, 100, true, false);
    const b = fu(p1, 100, p1.length, false, true);
    const keep = [hex(a), hex(b)];
    d.push(P(1, 9, false, a));
    d.push(P(2, 9, true, b));
    const first = hex(c.units[0]!.data);
    d.push(P(3, 18, true, nal(1, 300, 9)));
    expect(hex(c.units[0]!.data)).toBe(first);
    expect([hex(a), hex(b)]).toEqual(keep);
  });

  it('malformed payloads give typed errors only', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, [24, 0, 50, 0x61])); // STAP-A size past the end
    d.push(P(2, 18, true, [28])); // FU-A too short
    d.push(P(3, 27, true, [0x1e, 1])); // reserved type 30
    d.push(P(4, 36, true, [0, 5, 5])); // type 0 without start code
    d.push(P(5, 45, true, []));
    expect(c.errors.every((e) => e.name === 'ProtocolError')).toBe(true);
    expect(c.errors.map((e) => e.code)).toContain('H264_BAD_PAYLOAD');
    expect(c.units).toEqual([]);
  });
});
