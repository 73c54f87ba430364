import { describe, expect, it } from 'vitest';
import { H265Depacketizer, type H265DepacketizerOptions } from '../../../src/codec/h265/depacketizer.js';
import { H265Packetizer } from '../../../src/codec/h265/packetizer.js';
import { parseH265Sps } from '../../../src/codec/h265/sps.js';
import type { RtpPayloadPacket } from '../../../src/codec/types.js';
import { Collect, hex } from '../h264/support.js';
import { corpusH265AccessUnits, h265Type } from './support.js';
import { feedRtp } from '../../support/rtp-feed.js';

/** A NAL of `type` and `size` bytes (2-byte header, TID 1) with a body free of 00 bytes. */
function nal(type: number, size: number, seed = 1): Uint8Array {
  const u = new Uint8Array(size);
  u[0] = type << 1;
  u[1] = 1;
  for (let i = 2; i < size; i++) u[i] = 2 + ((i * 31 + seed * 7) % 250);
  return u;
}

const corpus = corpusH265AccessUnits();
const VPS = corpus[0]!.find((n) => h265Type(n) === 32)!;
const SPS = corpus[0]!.find((n) => h265Type(n) === 33)!;
const PPS = corpus[0]!.find((n) => h265Type(n) === 34)!;

function depack(opts: H265DepacketizerOptions = {}): { d: H265Depacketizer; c: Collect } {
  const c = new Collect();
  return { d: new H265Depacketizer(c, opts), c };
}

function payloadKind(p: Uint8Array): string {
  const t = (p[12]! >> 1) & 0x3f;
  return t === 48 ? 'ap' : t === 49 ? 'fu' : 'single';
}

const CASES: { name: string; aus: Uint8Array[][]; max: number; aggregate?: boolean; kinds: string[] }[] = [
  { name: 'single NAL', aus: [[nal(1, 100)]], max: 1400, kinds: ['single'] },
  { name: 'VPS+SPS+PPS+IDR aggregated', aus: [[VPS, SPS, PPS, nal(19, 900)]], max: 1400, kinds: ['ap'] },
  { name: 'AP then FU', aus: [[VPS, SPS, PPS, nal(19, 3000)]], max: 1400, kinds: ['ap', 'fu', 'fu', 'fu'] },
  { name: 'no aggregation', aus: [[VPS, nal(20, 100)]], max: 1400, aggregate: false, kinds: ['single', 'single'] },
  { name: 'FU exact boundary', aus: [[nal(1, 1399)], [nal(1, 1400)], [nal(1, 1401)]], max: 1400, kinds: ['single', 'single', 'fu', 'fu'] },
  { name: 'tiny payload size', aus: [[nal(1, 10)]], max: 4, kinds: ['fu', 'fu', 'fu', 'fu', 'fu', 'fu', 'fu', 'fu'] },
  { name: 'multi-slice picture with suffix SEI', aus: [[nal(39, 20), nal(1, 2000, 2), nal(1, 500, 3), nal(40, 9)]], max: 1000, kinds: ['single', 'fu', 'fu', 'fu', 'ap'] },
  { name: 'end of sequence NAL (2 bytes)', aus: [[nal(1, 50), nal(36, 2)]], max: 1400, aggregate: false, kinds: ['single', 'single'] },
];

describe('H265Packetizer + H265Depacketizer case table', () => {
  for (const tc of CASES) {
    it(tc.name, () => {
      const p = new H265Packetizer({ maxPayloadSize: tc.max, aggregate: tc.aggregate ?? true, initialSequenceNumber: 65533, ssrc: 7 });
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
        expect(u.codec).toBe('h265');
        expect(u.loss).toBe(false);
        expect(u.keyframe).toBe(u.nalus!.some((n) => h265Type(n) >= 16 && h265Type(n) <= 23));
        expect(hex(u.data)).toBe(u.nalus!.map((n) => '00000001' + hex(n)).join(''));
      }
    });
  }
});

describe('corpus round trip', () => {
  it('has 100 access units', () => expect(corpus.length).toBe(100));
  for (const max of [200, 1400, 65000]) {
    it(`max payload ${max}: byte-identical NAL units, 100 AUs, 640x360`, () => {
      const p = new H265Packetizer({ maxPayloadSize: max });
      const { d, c } = depack();
      for (let i = 0; i < corpus.length; i++) feedRtp(d, p.packetize(corpus[i]!, i * 3600));
      expect(c.errors).toEqual([]);
      expect(c.units.length).toBe(100);
      expect(c.units.map((u) => u.nalus!.map(hex))).toEqual(corpus.map((au) => au.map(hex)));
      expect(c.units.filter((u) => u.keyframe).length).toBe(corpus.filter((au) => au.some((n) => h265Type(n) >= 16 && h265Type(n) <= 23)).length);
      expect(c.units[0]!.keyframe).toBe(true);
      expect(d.spsInfo?.width).toBe(640);
      expect(d.spsInfo?.height).toBe(360);
      expect(d.codecString).toMatch(/^hvc1\.1\.6\.L63(\.[0-9A-F]+)*$/);
    });
  }
});

describe('SPS', () => {
  it('parses the corpus SPS (Main, 640x360)', () => {
    const i = parseH265Sps(SPS);
    expect([i.profileIdc, i.width, i.height, i.chromaFormatIdc]).toEqual([1, 640, 360, 1]);
  });
  it('a truncated SPS is an H265_BAD_SPS error', () => {
    expect(() => parseH265Sps(SPS.subarray(0, 8))).toThrow(expect.objectContaining({ code: 'H265_BAD_SPS' }));
  });
});

function P(seq: number, ts: number, marker: boolean, payload: Uint8Array | number[]): RtpPayloadPacket {
  return { payload: payload instanceof Uint8Array ? payload : new Uint8Array(payload), marker, timestamp: ts, sequenceNumber: seq };
}
function fu(n: Uint8Array, from: number, to: number, start: boolean, end: boolean, type = h265Type(n)): Uint8Array {
  const out = new Uint8Array(3 + (to - from));
  out[0] = (n[0]! & 0x81) | (49 << 1);
  out[1] = n[1]!;
  out[2] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | type;
  out.set(n.subarray(from, to), 3);
  return out;
}

describe('H.265 specifics and camera quirks', () => {
  const idr = nal(19, 300);
  const p1 = nal(1, 200, 5);

  it('FU with both S and E is a whole NAL (OpenIPC)', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, fu(p1, 2, p1.length, true, true)));
    expect(c.units.map((u) => hex(u.nalus![0]!))).toEqual([hex(p1)]);
  });

  it('marker on parameter-set packets does not split the picture', () => {
    const { d, c } = depack();
    [P(1, 90, true, VPS), P(2, 90, true, SPS), P(3, 90, true, PPS), P(4, 90, true, idr), P(5, 180, true, p1)].forEach((x) => d.push(x));
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[VPS, SPS, PPS, idr].map(hex), [hex(p1)]]);
    expect(c.units.map((u) => u.keyframe)).toEqual([true, false]);
  });

  it('no marker at all: units end on timestamp change and flush', () => {
    const { d, c } = depack();
    [P(1, 90, false, idr), P(2, 180, false, p1)].forEach((x) => d.push(x));
    d.flush();
    expect(c.units.map((u) => u.timestamp)).toEqual([90, 180]);
  });

  it('VPS/SPS/PPS from sprop-* are inserted before an IRAP that lacks them, and only once', () => {
    const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
    const { d, c } = depack({ spropVps: b64(VPS), spropSps: b64(SPS), spropPps: b64(PPS) });
    expect(d.spsInfo?.width).toBe(640);
    d.push(P(1, 9, true, idr));
    d.push(P(2, 18, true, p1));
    d.push(P(3, 27, false, SPS));
    d.push(P(4, 27, true, idr));
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[VPS, SPS, PPS, idr].map(hex), [hex(p1)], [SPS, VPS, PPS, idr].map(hex)]);
  });

  it('DONL/DOND (sprop-max-don-diff > 0) are skipped in single, AP and FU packets', () => {
    const { d, c } = depack({ spropMaxDonDiff: '2', insertParameterSets: false });
    const single = new Uint8Array([p1[0]!, p1[1]!, 0, 7, ...p1.subarray(2)]);
    const a = nal(39, 10);
    const b = nal(1, 12, 3);
    const ap = new Uint8Array([48 << 1, 1, 0, 8, 0, a.length, ...a, 1, 0, b.length, ...b]);
    const f1 = fu(idr, 2, 100, true, false);
    const f1d = new Uint8Array([...f1.subarray(0, 3), 0, 9, ...f1.subarray(3)]);
    d.push(P(1, 9, true, single));
    d.push(P(2, 18, true, ap));
    d.push(P(3, 27, false, f1d));
    d.push(P(4, 27, true, fu(idr, 100, idr.length, false, true)));
    expect(c.errors).toEqual([]);
    expect(c.units.map((u) => u.nalus!.map(hex))).toEqual([[hex(p1)], [hex(a), hex(b)], [hex(idr)]]);
  });

  it('PACI is rejected with H265_UNSUPPORTED and the stream goes on', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, [50 << 1, 1, 0, 0, 1, 2, 3]));
    d.push(P(2, 18, true, p1));
    expect(c.errors.map((e) => e.code)).toEqual(['H265_UNSUPPORTED', 'H265_FRAGMENT_LOST']);
    expect(c.units.map((u) => u.timestamp)).toEqual([18]);
  });

  it('a gap inside an FU drops the unit and never glues two NALs (both modes)', () => {
    const n1 = nal(1, 3000, 1);
    const n2 = nal(1, 3000, 2);
    for (const lossMode of ['drop', 'flag'] as const) {
      const { d, c } = depack({ lossMode });
      d.push(P(10, 9, false, fu(n1, 2, 1000, true, false)));
      d.push(P(12, 9, false, fu(n2, 1000, 2000, false, false)));
      d.push(P(13, 9, true, fu(n2, 2000, n2.length, false, true)));
      d.push(P(14, 18, true, p1));
      expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[18, true]]);
      if (lossMode === 'drop') expect(c.errors.map((e) => e.code)).toEqual(['H265_FRAGMENT_LOST']);
    }
  });

  it('flag mode keeps the complete NALs of a lossy unit', () => {
    const { d, c } = depack({ lossMode: 'flag', insertParameterSets: false });
    const sei = nal(39, 10);
    d.push(P(1, 9, false, sei));
    d.push(P(2, 9, false, fu(idr, 2, 100, true, false)));
    d.push(P(4, 18, true, p1));
    expect(c.units.map((u) => [u.timestamp, u.loss, u.nalus!.map(hex)])).toEqual([
      [9, true, [hex(sei)]],
      [18, true, [hex(p1)]],
    ]);
  });

  it('FU type change mid-fragment is reported and the NAL dropped', () => {
    const { d, c } = depack({ lossMode: 'flag' });
    d.push(P(1, 9, false, fu(p1, 2, 100, true, false)));
    d.push(P(2, 9, true, fu(p1, 100, p1.length, false, true, 19)));
    d.push(P(3, 18, true, p1));
    expect(c.errors[0]!.code).toBe('H265_BAD_PAYLOAD');
    expect(c.units.map((u) => u.timestamp)).toEqual([18]);
  });

  it('hvcc output uses 4-byte lengths', () => {
    const { d, c } = depack({ output: 'hvcc', insertParameterSets: false });
    d.push(P(1, 9, true, p1));
    expect(hex(c.units[0]!.data)).toBe(p1.length.toString(16).padStart(8, '0') + hex(p1));
  });

  it('an access unit over the cap is dropped with AU_TOO_LARGE', () => {
    const { d, c } = depack({ maxAccessUnitSize: 4000 });
    const big = nal(1, 10_000);
    let s = 1;
    for (let i = 2; i < big.length; i += 1000, s++) d.push(P(s, 9, i + 1000 >= big.length, fu(big, i, Math.min(big.length, i + 1000), i === 2, i + 1000 >= big.length)));
    d.push(P(s, 18, true, p1));
    expect(c.errors.map((e) => e.code)).toEqual(['AU_TOO_LARGE']);
    expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[18, true]]);
  });

  it('units are yours to keep', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, p1));
    const first = hex(c.units[0]!.data);
    d.push(P(2, 18, true, nal(1, 300, 9)));
    expect(hex(c.units[0]!.data)).toBe(first);
  });

  it('malformed payloads give typed errors only', () => {
    const { d, c } = depack();
    d.push(P(1, 9, true, [48 << 1, 1, 0, 50, 2]));
    d.push(P(2, 18, true, [49 << 1, 1]));
    d.push(P(3, 27, true, [55 << 1, 1, 1]));
    d.push(P(4, 36, true, [2, 0, 5]));
    d.push(P(5, 45, true, [7]));
    expect(c.errors.length).toBe(5 + 0 + c.errors.filter((e) => e.code === 'H265_FRAGMENT_LOST').length);
    expect(c.errors.every((e) => e.name === 'ProtocolError')).toBe(true);
    expect(c.units).toEqual([]);
  });
});
