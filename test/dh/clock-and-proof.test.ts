/**
 * Device clock steps (a DVR whose time is changed by an hour) and packets that prove themselves by
 * their checksum when garbage follows them.
 */
import { describe, expect, it } from 'vitest';
import { muxDh, muxDhav, packDhavDate, type MuxFrame } from '../support/dh-mux.js';
import { demux, errorCodes } from './helpers.js';

const video = (i: number, extra: Partial<MuxFrame>): MuxFrame => ({ kind: 'video', payload: Buffer.from([0, 0, 0, 1, 0x41, i]), videoType: 2, dhavVideoCodec: 2, frameType: 2, sequence: i, ...extra });
const T0 = 1_700_000_000;

describe('device clock stepping back', () => {
  it('DH: an hour back is one discontinuity; timestamps go on from the last value, monotonic', () => {
    const frames: MuxFrame[] = [];
    for (let i = 0; i < 5; i++) frames.push(video(i, { utc: T0 + Math.floor(i / 25), utcms: (i * 40) % 1000 }));
    for (let i = 5; i < 10; i++) frames.push(video(i, { utc: T0 - 3600, utcms: (i - 5) * 40 }));
    const r = demux('dh', [muxDh(frames)]);
    const ts = r.frames.map((f) => f.timestamp);
    const t0 = T0 * 1000;
    expect(ts).toEqual([t0, t0 + 40, t0 + 80, t0 + 120, t0 + 160, t0 + 160, t0 + 200, t0 + 240, t0 + 280, t0 + 320]);
    expect(r.frames.map((f) => f.discontinuity === true)).toEqual([false, false, false, false, false, true, false, false, false, false]);
    expect(r.frames[5]!.time).toBe((T0 - 3600) * 1000); // wall clock as the device says
    const ev = r.events.filter((e) => e.type === 'discontinuity');
    expect(ev).toEqual([{ type: 'discontinuity', offset: r.frames[5]!.offset, channel: 0, kind: 'video', from: t0 + 160, to: (T0 - 3600) * 1000 }]);
  });

  it('DH: a step back within a second is jitter: held at the last value, no event', () => {
    const frames = [video(0, { utc: T0, utcms: 500 }), video(1, { utc: T0, utcms: 100 }), video(2, { utc: T0, utcms: 600 })];
    const r = demux('dh', [muxDh(frames)]);
    expect(r.frames.map((f) => f.timestamp - T0 * 1000)).toEqual([500, 500, 600]);
    expect(r.events).toEqual([]);
  });

  it('DH: each stream (channel + kind) has its own clock state', () => {
    const audio = (i: number, utc: number): MuxFrame => ({ kind: 'audio', payload: Buffer.alloc(8, i), audioType: 8, sequence: 100 + i, utc });
    const frames = [video(0, { utc: T0 }), audio(0, T0), video(1, { utc: T0 - 7200 }), audio(1, T0 + 1), audio(2, T0 - 7200)];
    const r = demux('dh', [muxDh(frames)]);
    expect(r.frames.map((f) => [f.kind, f.timestamp - T0 * 1000])).toEqual([
      ['video', 0],
      ['audio', 0],
      ['video', 0],
      ['audio', 1000],
      ['audio', 1000],
    ]);
    expect(r.events.map((e) => (e.type === 'discontinuity' ? e.kind : e.type))).toEqual(['video', 'audio']);
  });

  it('DHAV: the millisecond counter stepping back is a discontinuity; the date going back is reported too', () => {
    const d0 = packDhavDate(2024, 5, 17, 13, 0, 0);
    const d1 = packDhavDate(2024, 5, 17, 12, 0, 0);
    const frames = [video(0, { date: d0, ms: 30000 }), video(1, { date: d0, ms: 30040 }), video(2, { date: d0, ms: 10000 }), video(3, { date: d0, ms: 10040 }), video(4, { date: d1, ms: 10080 }), video(5, { date: d1, ms: 10120 })];
    const r = demux('dhav', [muxDhav(frames)]);
    expect(r.frames.map((f) => f.timestamp - 30000)).toEqual([0, 40, 40, 80, 120, 160]);
    expect(r.frames.map((f) => f.discontinuity === true)).toEqual([false, false, true, false, true, false]);
    expect(r.events.map((e) => (e.type === 'discontinuity' ? [e.from, e.to] : e.type))).toEqual([
      [30040, 10000],
      [Date.UTC(2024, 4, 17, 13), Date.UTC(2024, 4, 17, 12)],
    ]);
  });
});

describe('a packet proven by its checksum', () => {
  it('DH: kept after garbage even when garbage follows it', () => {
    const a = muxDh([video(1, { utc: T0 })]);
    const b = muxDh([video(2, { utc: T0 })]);
    const junk = Buffer.from('junk that is not a packet', 'latin1');
    const bytes = Buffer.concat([junk, a, junk, b, junk]);
    for (const kind of ['dh', 'auto'] as const) {
      const r = demux(kind, [bytes]);
      expect(r.frames.map((f) => f.sequence), kind).toEqual([1, 2]);
      expect(r.frames.map((f) => f.offset)).toEqual([junk.length, 2 * junk.length + a.length]);
      expect(errorCodes(r)).toEqual(['DH_RESYNC', 'DH_RESYNC', 'DH_RESYNC']);
      for (let i = 1; i < bytes.length; i++) expect(demux(kind, [bytes.subarray(0, i), bytes.subarray(i)]).frames.length, `split at ${i}`).toBe(2);
    }
  });

  it('DHAV: kept after garbage even when garbage follows it', () => {
    const a = muxDhav([video(1, {})]);
    const junk = Buffer.from('xyz garbage', 'latin1');
    const r = demux('dhav', [Buffer.concat([junk, a, junk, a, junk])]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 1]);
  });

  it('DH: a packet with a bad checksum is not proven: after garbage it is skipped, in sync it needs the next packet', () => {
    const bad = muxDh([video(1, { utc: T0, badChecksum: true })]);
    const good = muxDh([video(2, { utc: T0 })]);
    const junk = Buffer.from('junk', 'latin1');
    expect(demux('dh', [Buffer.concat([junk, bad, junk])]).frames).toEqual([]);
    expect(demux('dh', [Buffer.concat([junk, bad, good])]).frames.map((f) => f.sequence)).toEqual([2]);
    expect(demux('dh', [Buffer.concat([good, bad, good])]).frames.map((f) => f.sequence)).toEqual([2, 1, 2]);
    expect(demux('dh', [Buffer.concat([good, bad, junk])]).frames.map((f) => f.sequence)).toEqual([2]);
  });
});
