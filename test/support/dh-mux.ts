/**
 * Test-only side of the DH and DHAV muxers: the muxers themselves live in src/testing/dh-muxer.ts
 * (the virtual camera needs them at run time) and are re-exported here; this file adds the shared
 * case table that drives both the muxers and the demuxers. Also used by the benches and by
 * scripts/make-dh-corpus.ts.
 */
import { packDhavDate, type MuxFrame } from '../../src/testing/dh-muxer.js';

export * from '../../src/testing/dh-muxer.js';

/** Expected decoded fields per case (a subset of DhFrame, compared with toMatchObject). */
export interface DhCase {
  name: string;
  frame: MuxFrame;
  dh: Record<string, unknown>;
  dhav: Record<string, unknown>;
}

const h264Idr = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00]);
const h264P = Buffer.from([0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x03]);
const h265Vps = Buffer.from([0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0, 0, 0, 1, 0x26, 0x01, 0xaf]);
const DATE = packDhavDate(2024, 5, 17, 13, 45, 30);
const DATE_MS = Date.UTC(2024, 4, 17, 13, 45, 30);

/** The shared case table: one frame each, muxed as DH and DHAV, with what each demuxer must say. */
export const DH_CASES: DhCase[] = [
  {
    name: 'H.264 I frame with every DH extend header',
    frame: {
      kind: 'video', payload: h264Idr, channel: 3, sequence: 77, utc: 1_700_000_000, utcms: 250,
      videoType: 2, frameType: 1, width: 1920, height: 1080, iFrameInterval: 50, fps: 25, operateId: 9,
      title: 'Gate 1 — 门', events: 0b110, timeZone: { hours: -5, minutes: 30, dst: true },
      dhavVideoCodec: 2, date: DATE, ms: 1234,
    },
    dh: {
      kind: 'video', codec: 'h264', keyframe: true, width: 1920, height: 1080, fps: 25, channel: 3, sequence: 77,
      time: 1_700_000_000_250, meta: { packetType: 0x20, codecId: 2, title: 'Gate 1 — 门', operateId: 9, iFrameInterval: 50,
        events: { raw: 6, alarm: false, motion: true, videoLoss: true }, timeZone: { hours: -5, minutes: 30, dst: true } },
    },
    dhav: { kind: 'video', codec: 'h264', keyframe: true, width: 1920, height: 1080, fps: 25, channel: 3, sequence: 77, time: DATE_MS, timestamp: 1234, meta: { packetType: 0xfd, codecId: 2, iFrameInterval: 50 } },
  },
  {
    name: 'H.264 P frame without extend headers (codec sniffed / carried)',
    frame: { kind: 'video', payload: h264P, frameType: 2, sequence: 1, utc: 5, date: DATE, ms: 0 },
    dh: { kind: 'video', codec: 'h264', keyframe: false, width: 0, sequence: 1, time: 5000, meta: { packetType: 0x20, codecId: -1 } },
    dhav: { kind: 'video', codec: 'h264', keyframe: false, sequence: 1, meta: { packetType: 0xfc } },
  },
  {
    name: 'H.265 I frame (DHAV 0x81 codec 0x0C, DH type 12)',
    frame: { kind: 'video', payload: h265Vps, videoType: 12, frameType: 1, width: 640, height: 360, fps: 30, dhavVideoCodec: 0x0c, date: DATE },
    dh: { codec: 'h265', keyframe: true, width: 640, height: 360, fps: 30 },
    dhav: { codec: 'h265', keyframe: true, width: 640, height: 360, fps: 30, meta: { codecId: 0x0c } },
  },
  {
    name: 'G.711A audio, 8 kHz mono',
    frame: { kind: 'audio', payload: Buffer.alloc(320, 0xd5), channel: 1, audioType: 8, tracks: 1, freqIndex: 2, dhavAudioCodec: 14, sequence: 9 },
    dh: { kind: 'audio', codec: 'g711a', keyframe: true, sampleRate: 8000, channels: 1, channel: 1, width: 0, meta: { codecId: 8, operateId: 0 } },
    dhav: { kind: 'audio', codec: 'g711a', keyframe: true, sampleRate: 8000, channels: 1, channel: 1, meta: { codecId: 14 } },
  },
  {
    name: 'G.711U stereo 16 kHz',
    frame: { kind: 'audio', payload: Buffer.alloc(640, 0x7f), audioType: 4, tracks: 2, freqIndex: 4, dhavAudioCodec: 10 },
    dh: { codec: 'g711u', sampleRate: 16000, channels: 2 },
    dhav: { codec: 'g711u', sampleRate: 16000, channels: 2 },
  },
  {
    name: 'AAC 48 kHz',
    frame: { kind: 'audio', payload: Buffer.from([0xff, 0xf1, 0x4c, 0x80, 0x01, 0x3f, 0xfc]), audioType: 12, tracks: 1, freqIndex: 9, dhavAudioCodec: 26 },
    dh: { codec: 'aac', sampleRate: 48000, channels: 1 },
    dhav: { codec: 'aac', sampleRate: 48000, channels: 1 },
  },
  {
    name: 'auxiliary packet with a gap extend header / DHAV JSON aux',
    frame: {
      kind: 'aux', payload: Buffer.from('{"event":"motion"}'), sequence: 4, utc: 100,
      gap: { operateId: 42, startTime: 1000, beginMs: 5, endTime: 1010, endMs: 995 },
    },
    dh: { kind: 'aux', codec: 'unknown', keyframe: false, meta: { packetType: 0x21, operateId: 42, gap: { operateId: 42, start: 1_000_005, end: 1_010_995 } } },
    dhav: { kind: 'aux', codec: 'json', meta: { packetType: 0xf1 } },
  },
  {
    name: 'MPEG-4 video, unknown extend record skipped by its length',
    frame: { kind: 'video', payload: Buffer.from([0, 0, 1, 0xb6, 1, 2, 3]), videoType: 1, frameType: 1, dhavVideoCodec: 1,
      rawExt: Buffer.from([0x99, 8, 0, 0, 1, 2, 3, 4]) },
    dh: { codec: 'mpeg4', keyframe: true },
    // DHAV: 0x99 is not in the size table: the walk stops there (as FFmpeg), the frame still decodes.
    dhav: { codec: 'mpeg4', keyframe: true },
  },
  {
    name: 'empty payload, channel 65535 (DH u16) / 255 (DHAV u8)',
    frame: { kind: 'video', payload: Buffer.alloc(0), videoType: 2, frameType: 2, dhavVideoCodec: 2, channel: 255, sequence: 0xffffffff },
    dh: { channel: 255, sequence: 0xffffffff, keyframe: false },
    dhav: { channel: 255, sequence: 0xffffffff, keyframe: false },
  },
];
