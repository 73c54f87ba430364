import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildDhCorpus } from '../../scripts/make-dh-corpus.js';
import { demux } from './helpers.js';

describe('corpus/dh', () => {
  const built = buildDhCorpus();
  for (const [name, bytes] of built) {
    it(`${name} is reproducible and demuxes cleanly`, () => {
      const file = readFileSync(new URL(`../../corpus/dh/${name}`, import.meta.url));
      expect(file.equals(bytes)).toBe(true);
      const r = demux('auto', [file]);
      expect(r.stats.frames).toEqual({ video: 100, audio: 100, aux: 0 });
      expect(r.stats).toMatchObject({ resyncs: 0, skippedBytes: 0, errors: 0, checksumMismatches: 0 });
      const video = r.frames.filter((f) => f.kind === 'video');
      expect(video.filter((f) => f.keyframe)).toHaveLength(4);
      // 25 fps: 40 ms apart, across the 16-bit counter wrap (DHAV) and second boundaries (DH).
      for (let i = 1; i < video.length; i++) expect(video[i]!.timestamp - video[i - 1]!.timestamp).toBe(40);
      const es = readFileSync(new URL(`../../corpus/${name.startsWith('h264') ? 'h264-640x360-25fps.h264' : 'h265-640x360-25fps.h265'}`, import.meta.url));
      expect(Buffer.concat(video.map((f) => f.payload)).equals(es)).toBe(true);
    });
  }
});
