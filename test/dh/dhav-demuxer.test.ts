import { describe, expect, it } from 'vitest';
import { DH_CASES, dhavPackets, muxDhav, packDhavDate, type MuxFrame } from '../support/dh-mux.js';
import { demux, errorCodes } from './helpers.js';
import { dhavDateToMs } from '../../src/dh/dhav-demuxer.js';

const DATE = packDhavDate(2023, 12, 31, 23, 59, 58);
const vid = (seq: number, extra: Partial<MuxFrame> = {}): MuxFrame => ({
  kind: 'video', payload: Buffer.from([0, 0, 0, 1, 0x41, seq & 0xff, 9, 9]), frameType: 2, sequence: seq, date: DATE, ms: seq * 40, ...extra,
});

describe('DhavDemuxer: case table round trip', () => {
  for (const c of DH_CASES) {
    it(c.name, () => {
      const bytes = muxDhav([c.frame]);
      const before = Buffer.from(bytes);
      const r = demux('dhav', [bytes]);
      expect(r.frames).toHaveLength(1);
      expect(r.frames[0]).toMatchObject({ format: 'dhav', checksumOk: true, offset: 0, pieces: 1, ...c.dhav });
      expect(Buffer.from(r.frames[0]!.payload).equals(Buffer.from(c.frame.payload))).toBe(true);
      expect(r.events).toEqual([]);
      expect(bytes.equals(before)).toBe(true);
    });
  }
});

describe('DhavDemuxer: layout details', () => {
  it('decodes the packed LOCAL date (fields as UTC)', () => {
    expect(dhavDateToMs(DATE)).toBe(Date.UTC(2023, 11, 31, 23, 59, 58));
    const r = demux('dhav', [muxDhav([vid(1)])]);
    expect(r.frames[0]!.time).toBe(Date.UTC(2023, 11, 31, 23, 59, 58));
  });

  it('unwraps the 16-bit ms counter at 65536 and never goes backwards', () => {
    const ms = [65000, 65500, 64, 564, 560, 1064];
    const frames = ms.map((m, i) => vid(i, { ms: m }));
    const r = demux('dhav', [muxDhav(frames)]);
    expect(r.frames.map((f) => f.timestamp)).toEqual([65000, 65500, 65600, 66100, 66100, 66600]);
  });

  it('carries codec, size and fps from the I frame to later P frames of the channel', () => {
    const i = vid(1, { frameType: 1, dhavVideoCodec: 0x0c, width: 704, height: 576, fps: 15, payload: Buffer.from([0, 0, 0, 1, 0x26, 1, 0]) });
    const p = vid(2, { payload: Buffer.from([0, 0, 0, 1, 0x02, 1, 0]) });
    const r = demux('dhav', [muxDhav([i, p])]);
    expect(r.frames[1]).toMatchObject({ codec: 'h265', width: 704, height: 576, fps: 15, keyframe: false });
  });

  it('skips a DAHUA file header and 0xFF padding, reporting both', () => {
    const bytes = muxDhav([vid(1), vid(2), vid(3)], { fileHeader: true, padAfter: new Map([[0, 100], [1, 7]]) });
    const r = demux('dhav', [bytes]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 2, 3]);
    expect(r.events.map((e) => e.type)).toEqual(['file-header', 'padding', 'padding']);
    expect(r.events[1]).toMatchObject({ length: 100 });
    expect(r.stats).toMatchObject({ paddingBytes: 107, skippedBytes: 0, resyncs: 0 });
    // and in 1-byte chunks
    const r1 = demux('dhav', [...bytes].map((b) => Uint8Array.of(b)));
    expect(r1.frames.map((f) => f.sequence)).toEqual([1, 2, 3]);
    expect(r1.stats.paddingBytes).toBe(107);
    expect(r1.events.map((e) => e.type)).toEqual(['file-header', 'padding', 'padding']);
  });

  it('joins sub-frame pieces (index counting down to 0) into one frame', () => {
    const payload = Buffer.alloc(10_000);
    for (let k = 0; k < payload.length; k++) payload[k] = k & 0xff;
    const big = vid(2, { frameType: 1, dhavVideoCodec: 2, payload, pieces: 4 });
    const audio: MuxFrame = { kind: 'audio', payload: Buffer.alloc(160, 1), dhavAudioCodec: 14, sequence: 5 };
    const bytes = muxDhav([vid(1), big, audio, vid(3)]);
    const r = demux('dhav', [bytes]);
    expect(r.frames.map((f) => [f.sequence, f.pieces, f.payload.length])).toEqual([[1, 1, 8], [2, 4, 10_000], [5, 1, 160], [3, 1, 8]]);
    expect(Buffer.from(r.frames[1]!.payload).equals(payload)).toBe(true);
    expect(r.frames[1]!.keyframe).toBe(true);
  });

  it('audio interleaved between pieces does not break the join', () => {
    const big = vid(2, { frameType: 1, dhavVideoCodec: 2, payload: Buffer.alloc(3000, 7), pieces: 3 });
    const [a, b, c] = dhavPackets(big);
    const au = dhavPackets({ kind: 'audio', payload: Buffer.alloc(80, 1), dhavAudioCodec: 14 })[0]!;
    const r = demux('dhav', [Buffer.concat([a!, au, b!, c!])]);
    expect(r.frames.map((f) => [f.kind, f.payload.length])).toEqual([['audio', 80], ['video', 3000]]);
  });

  it('a lost piece is DH_SUBFRAME and the partial frame is dropped', () => {
    const big = vid(2, { frameType: 1, payload: Buffer.alloc(3000, 7), pieces: 3 });
    const [a, , c] = dhavPackets(big);
    const r = demux('dhav', [Buffer.concat([a!, c!, ...dhavPackets(vid(3))])]);
    expect(r.frames.map((f) => f.sequence)).toEqual([3]);
    expect(errorCodes(r)).toEqual(['DH_SUBFRAME']);
  });

  it('a stream ending inside a split frame is reported', () => {
    const [a] = dhavPackets(vid(2, { payload: Buffer.alloc(300, 7), pieces: 2 }));
    const r = demux('dhav', [a!]);
    expect(r.frames).toEqual([]);
    expect(errorCodes(r)).toEqual(['DH_SUBFRAME']);
  });

  it('a bad trailer with the next packet following is kept and reported; otherwise resync', () => {
    const r = demux('dhav', [muxDhav([vid(1), vid(2, { badTrailer: true }), vid(3)])]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 2, 3]);
    expect(errorCodes(r)).toEqual(['DH_BAD_TRAILER']);
    const cut = muxDhav([vid(1), vid(2)]);
    const g = Buffer.concat([cut.subarray(0, cut.length - 3), Buffer.from('zzz'), Buffer.from('junk'), muxDhav([vid(3)])]);
    const r2 = demux('dhav', [g]);
    expect(r2.frames.map((f) => f.sequence)).toEqual([1, 3]);
    expect(errorCodes(r2)).toEqual(['DH_BAD_TRAILER', 'DH_RESYNC']);
  });

  it('resyncs after garbage with a fake magic inside', () => {
    const junk = Buffer.from('DHAV\xfd\x00\x00\x00 not a packet at all, DHAV again', 'latin1');
    const bytes = Buffer.concat([muxDhav([vid(1)]), junk, muxDhav([vid(2)])]);
    const r = demux('dhav', [bytes]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 2]);
    expect(r.stats).toMatchObject({ resyncs: 1, skippedBytes: junk.length });
  });

  it('reports a preamble before DHAV too', () => {
    const bytes = Buffer.concat([Buffer.from('streamId=7\r\n'), muxDhav([vid(1)])]);
    const r = demux('dhav', [bytes]);
    expect(r.events).toEqual([{ type: 'preamble', offset: 0, streamId: '7' }]);
    expect(r.frames).toHaveLength(1);
  });
});

describe('transientPayload', () => {
  it('gives the same bytes (copied inside frame()) as the owning mode, at every chunk size', async () => {
    const { readFileSync } = await import('node:fs');
    const { DhavDemuxer } = await import('../../src/dh/dhav-demuxer.js');
    const file = readFileSync(new URL('../../corpus/dh/h265-g711a.dav', import.meta.url));
    const owned = demux('dhav', [file]).frames.map((f) => Buffer.from(f.payload).toString('hex'));
    for (const size of [1000, 4096, 65536]) {
      const got: string[] = [];
      const d = new DhavDemuxer({ frame: (f) => got.push(Buffer.from(f.payload).toString('hex')) }, { transientPayload: true });
      for (let i = 0; i < file.length; i += size) d.push(file.subarray(i, i + size));
      d.end();
      expect(got).toEqual(owned);
    }
  });
});
