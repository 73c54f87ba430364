/**
 * Interop of the H.265, JPEG, PCMU and AAC depacketizers with a real sender: GStreamer's RTSP server
 * (x265enc ! rtph265pay, jpegenc ! rtpjpegpay, mulawenc ! rtppcmupay, avenc_aac ! rtpmp4gpay) through
 * the real RtspClient, with ffmpeg as the decode oracle. Skipped with a warning outside CI when the
 * peers are missing, a failure in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { parseAudioSpecificConfig, writeAdtsHeader } from '../../src/codec/aac/config.js';
import type { AudioAccessUnit } from '../../src/codec/g711/depacketizer.js';
import { ffmpegDecodeErrors, ffprobeFrameCount, missing, startGst, type GstServer } from '../support/peers.js';

const skip = missing('gst') || missing('ffmpeg');

/** Frames until `seconds` of media time have passed (starting at the first keyframe). */
async function collect(client: RtspClient, seconds: number): Promise<RtspFrame[]> {
  await client.start();
  const frames: RtspFrame[] = [];
  for await (const f of client.frames()) {
    if (frames.length === 0 && !f.keyframe) continue;
    frames.push(f);
    if (f.presentationTime - frames[0]!.presentationTime >= seconds) break;
  }
  await client.close();
  return frames;
}

describe.skipIf(skip)('GStreamer RTSP server: H.265, JPEG, PCMU, AAC', () => {
  let gst: GstServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-gst-codecs-'));
    gst = await startGst({
      mounts: {
        '/h265': 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1 ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! rtph265pay name=pay0 pt=96 config-interval=-1',
        '/jpeg': 'videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 ! jpegenc ! rtpjpegpay name=pay0',
        '/pcmu': 'audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay0',
        '/aac': 'audiotestsrc is-live=true ! audio/x-raw,rate=16000,channels=1 ! avenc_aac ! aacparse ! rtpmp4gpay name=pay0 pt=97',
      },
    });
  }, 20_000);
  afterAll(async () => {
    await gst?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('H.265: 2 s of access units decode cleanly with ffmpeg, same frame count, 320x240', async () => {
    const client = new RtspClient(gst.url('/h265'));
    const frames = await collect(client, 2);
    expect(client.tracks[0]).toMatchObject({ codec: 'h265', width: 320, height: 240 });
    expect(frames.every((f) => f.codec === 'h265' && !f.loss)).toBe(true);
    expect(frames[0]!.keyframe).toBe(true);
    const file = join(dir, 'out.h265');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    expect(ffmpegDecodeErrors(file, 'hevc')).toBe('');
    expect(ffprobeFrameCount(file, 'hevc')).toBe(frames.length);
    expect(frames.length).toBeGreaterThanOrEqual(50);
    expect(frames.length).toBeLessThanOrEqual(52);
  }, 20_000);

  it('JPEG: 1 s of frames, each a complete JPEG that ffmpeg decodes', async () => {
    const client = new RtspClient(gst.url('/jpeg'));
    const frames = await collect(client, 1);
    expect(client.tracks[0]).toMatchObject({ codec: 'jpeg', width: 320, height: 240 });
    expect(frames.length).toBeGreaterThanOrEqual(25);
    const file = join(dir, 'out.mjpeg');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    expect(ffmpegDecodeErrors(file, 'mjpeg')).toBe('');
    expect(ffprobeFrameCount(file, 'mjpeg')).toBe(frames.length);
  }, 20_000);

  it('PCMU: 1 s of 8 kHz audio, units back to back (timestamp step = bytes)', async () => {
    const client = new RtspClient(gst.url('/pcmu'));
    const frames = (await collect(client, 1)) as (RtspFrame & AudioAccessUnit)[];
    expect(client.tracks[0]).toMatchObject({ codec: 'pcmu', clockRate: 8000 });
    const samples = frames.slice(0, -1).reduce((a, f) => a + f.sampleCount, 0);
    expect(samples).toBe(frames.at(-1)!.extendedTimestamp - frames[0]!.extendedTimestamp);
    expect(samples).toBeGreaterThanOrEqual(8000);
    expect(samples).toBeLessThan(8000 + frames[0]!.data.length + 1);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.timestamp - frames[i - 1]!.timestamp).toBe(frames[i - 1]!.data.length);
    expect(frames.every((f) => f.codec === 'pcmu' && f.sampleRate === 8000 && f.data.length > 0 && f.data.length <= 1500)).toBe(true);
  }, 20_000);

  it('AAC: 1 s of AAC-LC 16 kHz frames, 1024 samples apart; ADTS-wrapped they decode with ffmpeg', async () => {
    const client = new RtspClient(gst.url('/aac'));
    const frames = (await collect(client, 1)) as (RtspFrame & AudioAccessUnit)[];
    const track = client.tracks[0]!;
    expect(track).toMatchObject({ codec: 'aac', clockRate: 16000 });
    expect(track.fmtp.mode?.toLowerCase()).toBe('aac-hbr');
    expect(frames.every((f) => f.codec === 'aac' && f.sampleRate === 16000 && f.channels === 1 && f.sampleCount === 1024)).toBe(true);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.extendedTimestamp - frames[i - 1]!.extendedTimestamp).toBe(1024);
    // 16000 / 1024 = 15.6 frames per second
    expect(frames.length).toBeGreaterThanOrEqual(16);
    expect(frames.length).toBeLessThanOrEqual(18);
    const cfg = parseAudioSpecificConfig(new Uint8Array(Buffer.from(track.fmtp.config!, 'hex')));
    const adts = frames.map((f) => {
      const out = new Uint8Array(7 + f.data.length);
      writeAdtsHeader(out, 0, cfg, f.data.length);
      out.set(f.data, 7);
      return out;
    });
    const file = join(dir, 'out.aac');
    writeFileSync(file, Buffer.concat(adts));
    expect(ffmpegDecodeErrors(file, 'aac')).toBe('');
  }, 20_000);
});
