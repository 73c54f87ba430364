/**
 * Timestamp repair end to end: a virtual camera whose RTP clock jumps by hours, or restarts at 0,
 * through RtspClient into the Timeline: output strictly monotonic per track, the fault flagged once
 * per track, audio still in sync with video.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { VirtualCamera, type RtspFaults } from '../../src/testing/virtual-camera.js';
import { Timeline, type TimelineOutput } from '../../src/timeline/timeline.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function run(faults: RtspFaults): Promise<{ out: TimelineOutput[][]; tl: Timeline }> {
  const cam = await new VirtualCamera({ pace: 'fast', audio: true, faults }).start();
  cleanup.push(() => cam.stop());
  const client = new RtspClient(cam.url());
  cleanup.push(() => client.close());
  const d = await client.start();
  const tracks = d.tracks.filter((t) => t.supported);
  const tl = new Timeline(tracks.map((t) => ({ clockRate: t.clockRate, kind: t.type === 'video' ? 'video' : 'audio' })));
  const out: TimelineOutput[][] = tracks.map(() => []);
  let video = 0;
  for await (const f of client.frames()) {
    const i = tracks.findIndex((t) => t.index === f.track);
    out[i]!.push(tl.push(i, { timestamp: f.timestamp, arrivalMs: Date.now(), wallClockMs: undefined, sampleCount: 'sampleCount' in f ? (f.sampleCount as number) : undefined }));
    if (f.mediaType === 'video' && ++video === 90) break;
  }
  return { out, tl };
}

const increasing = (o: TimelineOutput[]): boolean => o.every((x, i) => i === 0 || x.time > o[i - 1]!.time);

describe('Timeline x VirtualCamera clock faults', () => {
  for (const [name, faults] of [
    ['an RTP clock jumping 3 hours ahead', { clockJumpAt: 40 }],
    ['an RTP clock restarting at 0', { clockRestartAt: 40 }],
  ] as const) {
    it(`${name}: monotonic, flagged once per track, audio in sync`, async () => {
      const { out, tl } = await run(faults);
      const [v, a] = out;
      expect(v!.length).toBe(90);
      expect(increasing(v!) && increasing(a!)).toBe(true);
      expect(v!.map((o, i) => (o.discontinuity ? i : -1)).filter((i) => i >= 0)).toEqual([40]);
      expect(a!.filter((o) => o.discontinuity)).toHaveLength(1);
      expect(tl.stats.repairs).toBe(2);
      // 25 fps: after the fault the video still advances 40 ms per frame.
      expect(v![89]!.seconds).toBeCloseTo(89 * 0.04, 6);
      // Audio (one 40 ms packet per video frame, sent with it) stays within one video frame interval
      // of the video frame it was captured with, before and after the fault.
      expect(a!.length).toBeGreaterThanOrEqual(80);
      a!.forEach((x, k) => expect(Math.abs(x.seconds - v![k]!.seconds)).toBeLessThanOrEqual(0.04 + 1e-9));
    });
  }
});
