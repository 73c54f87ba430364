import { describe, expect, it } from 'vitest';
import { DH_CASES, dhPacket, muxDh, type MuxFrame } from '../support/dh-mux.js';
import { demux, errorCodes } from './helpers.js';
import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { ProtocolError } from '../../src/errors.js';

const vid = (seq: number, extra: Partial<MuxFrame> = {}): MuxFrame => ({
  kind: 'video', payload: Buffer.from([0, 0, 0, 1, 0x41, seq & 0xff, 1, 2, 3]), videoType: 2, frameType: 2, sequence: seq, utc: 1000 + seq, ...extra,
});

describe('DhDemuxer: case table round trip', () => {
  for (const c of DH_CASES) {
    it(c.name, () => {
      const bytes = muxDh([c.frame]);
      const before = Buffer.from(bytes);
      const r = demux('dh', [bytes]);
      expect(r.frames).toHaveLength(1);
      const f = r.frames[0]!;
      expect(f).toMatchObject({ format: 'dh', checksumOk: true, offset: 0, pieces: 1, ...c.dh });
      expect(Buffer.from(f.payload).equals(Buffer.from(c.frame.payload))).toBe(true);
      expect(r.events).toEqual([]);
      expect(bytes.equals(before)).toBe(true); // input not modified
    });
  }

  it('all cases in one stream, in 1-byte chunks, with running offsets', () => {
    const frames = DH_CASES.map((c) => c.frame);
    const bytes = muxDh(frames);
    const r = demux('dh', [...bytes].map((b) => Uint8Array.of(b)));
    expect(r.frames.map((f) => f.sequence)).toEqual(frames.map((f) => (f.sequence ?? 0) >>> 0));
    let off = 0;
    r.frames.forEach((f, i) => {
      expect(f.offset).toBe(off);
      off += dhPacket(frames[i]!).length;
    });
    expect(r.stats.frames).toEqual({ video: 5, audio: 3, aux: 1 });
    expect(r.stats.bytes).toBe(bytes.length);
  });
});

describe('DhDemuxer: the WV-V series HTTP API V2.40 §7 layout', () => {
  it('decodes a hand-written packet byte by byte', () => {
    // 24-byte header + 16-byte video extend header (WV-V series HTTP API V2.40 §7.2.2) + 4 payload bytes.
    const hex =
      '4448' + '20' + '00' + '2c000000' + '0500' + '1000' + '07000000' + '00f15365' + 'e803' + '00' + '00' +
      '21' + '10' + '0000' + '02' + '01' + '8002' + '6801' + '19' + '0c' + '00000000' +
      'deadbeef';
    const b = Buffer.from(hex, 'hex');
    let s = 0;
    for (let i = 0; i < 23; i++) s += b[i]!;
    b[23] = s & 0xff;
    const r = demux('dh', [b]);
    expect(r.frames[0]).toMatchObject({
      kind: 'video', codec: 'h264', keyframe: true, channel: 5, sequence: 7, width: 640, height: 360, fps: 12,
      time: 0x6553f100 * 1000 + 1000, meta: { iFrameInterval: 25, operateId: 0 },
    });
    expect(Buffer.from(r.frames[0]!.payload).toString('hex')).toBe('deadbeef');
  });

  it("walks the audio record by its length byte (the document says 8, draws 16)", () => {
    const raw = Buffer.from([0x11, 8, 0, 0, 8, 2, 9, 0]);
    const r = demux('dh', [dhPacket({ kind: 'audio', payload: Buffer.alloc(8), rawExt: raw })]);
    expect(r.frames[0]).toMatchObject({ codec: 'g711a', channels: 2, sampleRate: 48000 });
    expect(r.frames[0]!.meta.operateId).toBeUndefined();
  });
});

describe('DhDemuxer: payload lifetime', () => {
  it('is a view into the pushed chunk when whole, one exact copy when spanning', () => {
    // Payloads over Node's 4 KiB pool threshold, so a copy cannot share the input's pool slab.
    const big = (n: number) => vid(n, { payload: Buffer.alloc(5000, n) });
    const bytes = muxDh([big(1), big(2)]);
    const whole = demux('dh', [bytes]);
    expect(whole.frames[0]!.payload.buffer).toBe(bytes.buffer);
    const cut = dhPacket(big(1)).length + 100; // inside the second payload
    const split = demux('dh', [bytes.subarray(0, cut), bytes.subarray(cut)]);
    const p = split.frames[1]!.payload;
    expect(p.buffer).not.toBe(bytes.buffer);
    expect(p.length).toBe(5000);
    expect(p.every((b) => b === 2)).toBe(true);
    expect(p.byteLength).toBe(p.length);
  });
});

describe('DhDemuxer: garbage, corruption, truncation', () => {
  it('reports the streamId preamble of playback bodies', () => {
    const r = demux('dh', [muxDh([vid(1)], { preamble: '12345' })]);
    expect(r.events).toEqual([{ type: 'preamble', offset: 0, streamId: '12345' }]);
    expect(r.frames[0]!.offset).toBe('streamId=12345\r\n'.length);
    expect(r.stats.skippedBytes).toBe(0);
  });

  it('resyncs after garbage and counts the skipped bytes once', () => {
    const garbage = Buffer.from('xxDH\x20garbage DH DHAV junk');
    const bytes = Buffer.concat([dhPacket(vid(1)), garbage, dhPacket(vid(2)), dhPacket(vid(3))]);
    const r = demux('dh', [bytes]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 2, 3]);
    const rs = r.events.filter((e) => e.type === 'resync');
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ offset: dhPacket(vid(1)).length, skipped: garbage.length });
    expect(r.stats).toMatchObject({ resyncs: 1, skippedBytes: garbage.length });
  });

  it('keeps a packet with a bad checksum when the next packet follows it, and counts it', () => {
    const r = demux('dh', [muxDh([vid(1), vid(2, { badChecksum: true }), vid(3)])]);
    expect(r.frames.map((f) => [f.sequence, f.checksumOk])).toEqual([[1, true], [2, false], [3, true]]);
    expect(errorCodes(r)).toEqual(['DH_CHECKSUM']);
    expect(r.stats.checksumMismatches).toBe(1);
  });

  it('rejects a bad-checksum header whose length points into garbage', () => {
    const bad = dhPacket(vid(2, { badChecksum: true }));
    bad.writeUInt32LE(bad.length + 5, 4); // length now ends 2 bytes into the next packet
    bad[23] = (bad[23]! + 5) & 0xff; // still a mismatch after the length change
    const bytes = Buffer.concat([dhPacket(vid(1)), bad, Buffer.alloc(3), dhPacket(vid(3))]);
    const r = demux('dh', [bytes]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 3]);
    expect(errorCodes(r)).toContain('DH_CHECKSUM');
    expect(r.stats.resyncs).toBe(1);
  });

  it('a length over the cap is DH_BAD_LENGTH + resync, never an allocation', () => {
    const big = dhPacket(vid(2));
    big.writeUInt32LE(0xfffffff0, 4);
    let s = 0;
    for (let i = 0; i < 23; i++) s += big[i]!;
    big[23] = s & 0xff;
    const r = demux('dh', [Buffer.concat([dhPacket(vid(1)), big, dhPacket(vid(3))])], { maxPacketSize: 1 << 16 });
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 3]);
    expect(errorCodes(r)).toEqual(['DH_BAD_LENGTH', 'DH_RESYNC']);
  });

  it('a malformed extend record is DH_BAD_EXTEND', () => {
    const r = demux('dh', [muxDh([vid(1), vid(2, { rawExt: Buffer.from([0x50, 6, 0, 0, 0, 0, 0, 0]) }), vid(3)])]);
    expect(r.frames.map((f) => f.sequence)).toEqual([1, 3]);
    expect(errorCodes(r)[0]).toBe('DH_BAD_EXTEND');
  });

  it('reports a truncated tail at end()', () => {
    const bytes = muxDh([vid(1), vid(2)]);
    const r = demux('dh', [bytes.subarray(0, bytes.length - 4)]);
    expect(r.frames).toHaveLength(1);
    const e = r.events.find((x) => x.type === 'error');
    expect(e && 'error' in e && e.error.code).toBe('DH_TRUNCATED');
    expect(e && 'error' in e && e.error.offset).toBe(dhPacket(vid(1)).length);
  });

  it('errors are ProtocolErrors with offsets; push after end is refused', () => {
    const d = new DhDemuxer({ frame: () => {} });
    d.end();
    expect(() => d.push(Buffer.from('DH'))).toThrow(ProtocolError);
    expect(() => new DhDemuxer({ frame: () => {} }, { maxPacketSize: 0 })).toThrow(ProtocolError);
  });

  it('timestamps never go backwards within a stream; wall clock keeps the raw value', () => {
    const r = demux('dh', [muxDh([vid(1, { utc: 10, utcms: 500 }), vid(2, { utc: 10, utcms: 100 }), vid(3, { utc: 11 })])]);
    expect(r.frames.map((f) => f.timestamp)).toEqual([10500, 10500, 11000]);
    expect(r.frames.map((f) => f.time)).toEqual([10500, 10100, 11000]);
  });

  it('stops trusting the checksum for resync when the device never matches it', () => {
    const frames = Array.from({ length: 8 }, (_, i) => vid(i, { badChecksum: true }));
    const a = muxDh(frames.slice(0, 6));
    const b = muxDh(frames.slice(6));
    const r = demux('dh', [a, Buffer.from('garbage!'), b]);
    // 5 is followed by garbage and its checksum fails: dropped. 6 (after garbage, checksum bad) is
    // accepted on type + length + following magic because the checksum is no longer trusted.
    expect(r.frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(r.stats.checksumMismatches).toBe(7);
  });
});
