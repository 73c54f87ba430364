import { describe, expect, it } from 'vitest';
import { sniff, createDemuxer, AutoDemuxer } from '../../src/dh/sniff.js';
import { muxDh, muxDhav, type MuxFrame } from '../support/dh-mux.js';
import { demux } from './helpers.js';

const f: MuxFrame = { kind: 'video', payload: Buffer.from([0, 0, 0, 1, 0x65, 1]), videoType: 2, frameType: 1, dhavVideoCodec: 2, sequence: 1 };

describe('sniff', () => {
  it('tells the formats apart from the first bytes', () => {
    expect(sniff(muxDh([f]))).toBe('dh');
    expect(sniff(muxDhav([f]))).toBe('dhav');
    expect(sniff(muxDhav([f], { fileHeader: true }))).toBe('dahua-file');
    expect(sniff(muxDh([f], { preamble: '1' }))).toBe('streamid-preamble');
    expect(sniff(Buffer.from('DHx'))).toBe('unknown');
    expect(sniff(Buffer.from('D'))).toBe('unknown');
    expect(sniff(Buffer.from('<html>'))).toBe('unknown');
  });
});

describe('AutoDemuxer', () => {
  const cases: [string, Buffer, 'dh' | 'dhav'][] = [
    ['DH', muxDh([f, f]), 'dh'],
    ['preamble + DH', muxDh([f, f], { preamble: '99' }), 'dh'],
    ['DHAV', muxDhav([f, f]), 'dhav'],
    ['preamble + DHAV', Buffer.concat([Buffer.from('streamId=99\r\n'), muxDhav([f, f])]), 'dhav'],
    ['DAHUA file', muxDhav([f, f], { fileHeader: true }), 'dhav'],
    ['garbage + DHAV', Buffer.concat([Buffer.from('HTTP junk DH'), muxDhav([f, f])]), 'dhav'],
  ];
  for (const [name, bytes, fmt] of cases) {
    it(`${name}: whole and in 1-byte chunks`, () => {
      for (const chunks of [[bytes], [...bytes].map((b) => Uint8Array.of(b))]) {
        const r = demux('auto', chunks);
        expect(r.frames).toHaveLength(2);
        expect(r.frames.every((x) => x.format === fmt && x.codec === 'h264')).toBe(true);
        expect(r.stats.bytes).toBe(bytes.length);
      }
    });
  }
  it('reports the detected format and builds fixed-format demuxers on request', () => {
    const a = new AutoDemuxer({ frame: () => {} });
    expect(a.detected).toBeUndefined();
    a.push(muxDhav([f]));
    expect(a.detected).toBe('dhav');
    expect(createDemuxer({ frame: () => {} }, {}, 'dh').format).toBe('dh');
  });
});
