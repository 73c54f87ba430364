/**
 * The MP4 / QuickTime writer against real readers: ffprobe (codec, size, frame count, strictly
 * increasing pts, duration), `ffmpeg -v error` decoding video and audio with nothing printed,
 * mediainfo, and files cut inside every fragment after the first (kill -9) decoding up to their last
 * complete fragment.
 * Inputs: the corpus through the RTP packetizer -> depacketizer path, written by Mp4FileWriter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mp4FileWriter, type Mp4FileOptions } from '../../src/mp4/file.js';
import { completeFragmentsLength } from '../../src/mp4/recover.js';
import { missing, run } from '../support/peers.js';
import { completeTopLevel } from '../support/mp4-reader.js';
import { AAC_CONFIG, aacUnits, g711Units, h264Units, h265Units, interleave, missingCommand } from '../mp4/support.js';
import type { AccessUnit, AudioAccessUnit } from '../../src/codec/types.js';

const dir = mkdtempSync(join(tmpdir(), 'camstream-mp4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  file: string;
  opts: Mp4FileOptions;
  video: { codec: string; units: AccessUnit[] };
  audio?: { codec: string; units: AudioAccessUnit[]; rate: number };
}

async function write(c: Case): Promise<string> {
  const path = join(dir, c.file);
  const w = await Mp4FileWriter.create(path, { ...c.opts, creationTimeMs: Date.UTC(2026, 10, 29) });
  const tracks = [{ units: c.video.units, clockRate: 90000 }];
  if (c.audio) tracks.push({ units: c.audio.units, clockRate: c.audio.rate });
  for (const { track, unit, t } of interleave(tracks)) {
    const rate = track === 0 ? 90000 : c.audio!.rate;
    w.push(track, { data: unit.data, nalus: unit.nalus, keyframe: unit.keyframe, time: Math.round(t * rate), duration: (unit as AudioAccessUnit).sampleCount });
  }
  await w.close();
  return path;
}

interface Probed {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  nb_read_packets?: string;
  nb_read_frames?: string;
}

function probe(path: string): { streams: Probed[]; duration: number } {
  const r = run('ffprobe', ['-v', 'error', '-count_frames', '-count_packets', '-show_entries', 'stream=codec_name,codec_type,width,height,nb_read_packets,nb_read_frames:format=duration', '-of', 'json', path]);
  expect(r.stderr).toBe('');
  const j = JSON.parse(r.stdout) as { streams: Probed[]; format: { duration: string } };
  return { streams: j.streams, duration: Number(j.format.duration) };
}

function pts(path: string, stream: string): number[] {
  const r = run('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts', '-of', 'csv=p=0', path]);
  return r.stdout.trim().split('\n').map(Number);
}

const video264 = h264Units();
const video265 = h265Units();
const CASES: Case[] = [
  { name: 'H.264 + AAC, fragmented .mp4', file: 'h264-aac.mp4', opts: { tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }] }, video: { codec: 'h264', units: video264 }, audio: { codec: 'aac', units: aacUnits(), rate: 16000 } },
  { name: 'H.264 + AAC, faststart .mp4', file: 'h264-aac-faststart.mp4', opts: { tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }], faststart: true }, video: { codec: 'h264', units: video264 }, audio: { codec: 'aac', units: aacUnits(), rate: 16000 } },
  { name: 'H.264 + G.711 A-law, fragmented .mov', file: 'h264-alaw.mov', opts: { container: 'mov', tracks: [{ codec: 'h264' }, { codec: 'pcma' }] }, video: { codec: 'h264', units: video264 }, audio: { codec: 'pcm_alaw', units: g711Units('pcma'), rate: 8000 } },
  { name: 'H.265 + G.711 µ-law, faststart .mov', file: 'h265-ulaw.mov', opts: { container: 'mov', tracks: [{ codec: 'h265' }, { codec: 'pcmu' }], faststart: true }, video: { codec: 'hevc', units: video265 }, audio: { codec: 'pcm_mulaw', units: g711Units('pcmu'), rate: 8000 } },
  { name: 'H.265, fragmented .mp4', file: 'h265.mp4', opts: { tracks: [{ codec: 'h265' }] }, video: { codec: 'hevc', units: video265 } },
];

describe.skipIf(missing('ffmpeg'))('MP4 writer x ffmpeg 5.1', () => {
  for (const c of CASES) {
    it(`${c.name}: ffprobe reads codec, size, every frame, increasing pts, duration; ffmpeg decodes silently`, async () => {
      const path = await write(c);
      const p = probe(path);
      const v = p.streams.find((s) => s.codec_type === 'video')!;
      expect([v.codec_name, v.width, v.height]).toEqual([c.video.codec, 640, 360]);
      expect(Number(v.nb_read_frames)).toBe(c.video.units.length);
      const vpts = pts(path, 'v:0');
      expect(vpts).toHaveLength(c.video.units.length);
      for (let i = 1; i < vpts.length; i++) expect(vpts[i]!).toBeGreaterThan(vpts[i - 1]!);
      const videoSeconds = c.video.units.length / 25;
      if (c.audio) {
        const a = p.streams.find((s) => s.codec_type === 'audio')!;
        expect(a.codec_name).toBe(c.audio.codec);
        expect(Number(a.nb_read_packets)).toBe(c.audio.units.length);
        const apts = pts(path, 'a:0');
        for (let i = 1; i < apts.length; i++) expect(apts[i]!).toBeGreaterThan(apts[i - 1]!);
      }
      // Duration: the recorded span, within one video frame (audio may run up to one audio frame longer).
      const audioSeconds = c.audio ? c.audio.units.reduce((n, u) => n + u.sampleCount, 0) / c.audio.rate : 0;
      expect(Math.abs(p.duration - Math.max(videoSeconds, audioSeconds))).toBeLessThanOrEqual(1 / 25);
      const dec = run('ffmpeg', ['-v', 'error', '-i', path, '-map', '0', '-f', 'null', '-']);
      expect(dec.stderr).toBe('');
      expect(dec.status).toBe(0);
    });
  }

  it('a file cut anywhere after its first fragment decodes up to its last complete fragment, and cleanly once cut back there', () => {
    const full = readFileSync(join(dir, 'h264-aac.mp4'));
    const boxes = completeTopLevel(full);
    const mdats = boxes.filter((b) => b.type === 'mdat');
    // Cuts at fixed places (a kill -9 lands anywhere): 4 bytes into, the middle of and 3 bytes before
    // the end of every moof and mdat after the first whole fragment.
    const first = mdats[0]!.start + mdats[0]!.size;
    const cuts = boxes.filter((b) => (b.type === 'moof' || b.type === 'mdat') && b.start >= first).flatMap((b) => [b.start + 4, b.start + (b.size >> 1), b.start + b.size - 3].map((cut) => ({ cut, inMoof: b.type === 'moof' })));
    expect(cuts.length).toBeGreaterThanOrEqual(12);
    for (const { cut, inMoof } of cuts) {
      const complete = mdats.filter((b) => b.start + b.size <= cut).length;
      const cutPath = join(dir, 'cut.mp4');
      writeFileSync(cutPath, full.subarray(0, cut));
      // ffmpeg 5.1 reads a file cut inside a mdat up to there; cut past a moof's header it cannot open
      // it at all ("error reading header"): the recovery below is what makes such a file readable.
      if (!inMoof || cut - boxes.find((b) => b.start <= cut && cut < b.start + b.size)!.start <= 8) {
        const frames = Number(run('ffprobe', ['-v', 'quiet', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', cutPath]).stdout.trim());
        expect(frames, `cut at ${cut}`).toBeGreaterThanOrEqual(complete * 25);
      }
      const len = completeFragmentsLength(full.subarray(0, cut));
      writeFileSync(cutPath, full.subarray(0, len));
      const dec = run('ffmpeg', ['-v', 'error', '-i', cutPath, '-map', '0', '-f', 'null', '-']);
      expect(dec.stderr, `cut at ${cut}, kept ${len}`).toBe('');
      const kept = Number(run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', cutPath]).stdout.trim());
      expect(kept, `cut at ${cut}`).toBe(complete * 25);
    }
  }, 60_000);
});

describe.skipIf(missing('ffmpeg') || missingCommand('mediainfo'))('MP4 writer x mediainfo', () => {
  it('mediainfo reads the formats, frame counts and durations', () => {
    for (const [file, video, audio, frames] of [
      ['h264-aac.mp4', 'AVC', 'AAC', 100],
      ['h264-alaw.mov', 'AVC', 'ADPCM', 100],
      ['h265-ulaw.mov', 'HEVC', 'ADPCM', 100],
    ] as const) {
      const r = run('mediainfo', ['--Output=JSON', join(dir, file)]);
      const tracks = (JSON.parse(r.stdout) as { media: { track: Record<string, string>[] } }).media.track;
      const v = tracks.find((t) => t['@type'] === 'Video')!;
      const a = tracks.find((t) => t['@type'] === 'Audio')!;
      expect([v.Format, Number(v.FrameCount), v.Width, v.Height]).toEqual([video, frames, '640', '360']);
      expect(Number(v.Duration)).toBeCloseTo(4, 1);
      expect(a.Format).toBe(audio);
    }
  });
});
