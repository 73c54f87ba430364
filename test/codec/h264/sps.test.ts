import { describe, expect, it } from 'vitest';
import { parseH264Sps, buildAvcDecoderConfig } from '../../../src/codec/h264/sps.js';
import { decodeH264Sprop } from '../../../src/codec/h264/sprop.js';
import { BitReader, unescapeRbsp } from '../../../src/bytes/bit-reader.js';
import { splitAnnexB, joinAnnexB } from '../../../src/codec/annex-b.js';
import { ProtocolError } from '../../../src/errors.js';

// Made with ffmpeg/libx264 (testsrc2): baseline 640x360 (corpus), high 1920x1080, high444 1280x720.
const cases = [
  ['6742c01eda0280bfe5c044000003000400000300c83c58ba80', 66, 0xc0, 30, 640, 360, 1, 'avc1.42c01e'],
  ['67640028acd940780227e5c044000003000400000300c83c60c658', 100, 0, 40, 1920, 1080, 1, 'avc1.640028'],
  ['67f4001f919b280a00b76022000003000200000300641e30632c', 244, 0, 31, 1280, 720, 3, 'avc1.f4001f'],
] as const;

describe('parseH264Sps', () => {
  it.each(cases)('%s', (h, profile, cons, level, w, ht, chroma, codec) => {
    const nal = Buffer.from(h, 'hex');
    const s = parseH264Sps(nal);
    expect([s.profileIdc, s.constraintFlags, s.levelIdc, s.width, s.height, s.chromaFormatIdc, s.codecString]).toEqual([profile, cons, level, w, ht, chroma, codec]);
    expect(s.frameRate).toBe(25);
  });
  it('rejects non-SPS and truncated SPS with H264_BAD_SPS', () => {
    expect(() => parseH264Sps(Buffer.from('68ce3c80', 'hex'))).toThrow(ProtocolError);
    try {
      parseH264Sps(Buffer.from('6742c01eda', 'hex'));
      expect.unreachable();
    } catch (e) {
      expect((e as ProtocolError).code).toBe('H264_BAD_SPS');
    }
  });
  it('builds an avcC record', () => {
    const sps = Buffer.from(cases[0][0], 'hex');
    const r = buildAvcDecoderConfig(sps, [Buffer.from('68ce3c80', 'hex')]);
    expect(Buffer.from(r).toString('hex')).toBe(`0142c01effe10019${cases[0][0]}010004` + '68ce3c80');
  });
});

describe('BitReader', () => {
  it('reads exp-Golomb codes', () => {
    // 1 | 010 | 011 | 00100 | 00101 -> ue 0,1,2,3,4 ; then se of 010 (=1) and 011 (=-1)
    const r = new BitReader(new Uint8Array([0b10100110, 0b01000010, 0b10100110]));
    expect([r.ue(), r.ue(), r.ue(), r.ue(), r.ue()]).toEqual([0, 1, 2, 3, 4]);
    expect([r.se(), r.se()]).toEqual([1, -1]);
    expect(() => r.u(8)).toThrow(RangeError);
  });
  it('removes emulation prevention bytes', () => {
    expect(Array.from(unescapeRbsp(new Uint8Array([1, 0, 0, 3, 0, 0, 3, 1, 3])))).toEqual([1, 0, 0, 0, 0, 1, 3]);
    const same = new Uint8Array([1, 2, 3]);
    expect(unescapeRbsp(same)).toBe(same);
  });
});

describe('Annex B and sprop', () => {
  it('splits 3- and 4-byte start codes and trims trailing zeros', () => {
    const b = Buffer.from('000000016742000001680000000001650102', 'hex');
    expect(splitAnnexB(b).map((u) => Buffer.from(u).toString('hex'))).toEqual(['6742', '68', '650102']);
    expect(Buffer.from(joinAnnexB(splitAnnexB(b))).toString('hex')).toBe('00000001674200000001680000000165' + '0102');
  });
  it('decodes sprop with a trailing comma, missing PPS, start codes inside', () => {
    const sps = Buffer.from(cases[0][0], 'hex');
    expect(decodeH264Sprop(`${sps.toString('base64')},`).pps).toBeUndefined();
    expect(Buffer.from(decodeH264Sprop(`${sps.toString('base64')},`).sps!).equals(sps)).toBe(true);
    const both = Buffer.concat([Buffer.from([0, 0, 0, 1]), sps, Buffer.from([0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80])]).toString('base64');
    const r = decodeH264Sprop(`${both},!!`);
    expect(Buffer.from(r.pps!).toString('hex')).toBe('68ce3c80');
    expect(r.nalus.length).toBe(2);
  });
});
