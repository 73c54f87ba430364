import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingRtspClient, isPermanentError, type ReconnectEvent, type RetryEvent } from '../../src/client/reconnect.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { ProtocolError } from '../../src/errors.js';
import type { RtspFrame } from '../../src/client/rtsp-client.js';

const src = loadH264();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Index of the corpus access unit whose NAL units equal the frame's, or -1 (a glued or cut frame). */
function unitIndex(f: RtspFrame): number {
  return src.units.findIndex((u) => u.length === f.nalus!.length && u.every((n, i) => Buffer.compare(n, f.nalus![i]!) === 0));
}

describe('isPermanentError / backoff', () => {
  it('stops on authentication and 4xx answers, retries on transport trouble, 454 and 5xx', () => {
    const e = (code: ConstructorParameters<typeof ProtocolError>[0], status?: number): ProtocolError => new ProtocolError(code, 'x', { context: status ? { status } : {} });
    expect([e('AUTH_FAILED'), e('RTSP_STATUS', 404), e('RTSP_STATUS', 403), e('INVALID_ARGUMENT')].map(isPermanentError)).toEqual([true, true, true, true]);
    expect([e('CONNECTION_CLOSED'), e('TIMEOUT'), e('RTSP_STATUS', 454), e('RTSP_STATUS', 503), e('RTSP_SESSION_NOT_FOUND')].map(isPermanentError)).toEqual([false, false, false, false, false]);
  });

  it('grows the delay by the factor up to the cap, with jitter in range', () => {
    const c = new ReconnectingRtspClient('rtsp://127.0.0.1:1/x', { reconnect: { initialDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: 0.5 }, random: () => 1 });
    expect([1, 2, 3, 4].map((n) => c.delayFor(n))).toEqual([150, 450, 1350, 1500]);
    const d = new ReconnectingRtspClient('rtsp://127.0.0.1:1/x', { reconnect: { initialDelayMs: 100, jitter: 0.5 }, random: () => 0 });
    expect(d.delayFor(1)).toBe(50);
    expect(() => new ReconnectingRtspClient('rtsp://x/', { reconnect: { factor: 0.5 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('ReconnectingRtspClient against the virtual camera', () => {
  it('goes on across a drop mid-GOP, a refusing server and a new SSRC/seq/timestamp base', async () => {
    const cam1 = await new VirtualCamera({ pace: 'fast', loop: true, faults: { closeMidFrameAfter: 130 } }).start();
    const port = cam1.port;
    let cam2: VirtualCamera | undefined;
    let cam2Started: Promise<unknown> | undefined;
    cleanup.push(async () => {
      await cam1.stop();
      await cam2Started;
      await cam2?.stop();
    });
    // TCP: the drop mid-GOP is the camera closing the interleaved connection mid-frame.
    const sup = new ReconnectingRtspClient(cam1.url(), { transport: 'tcp', reconnect: { initialDelayMs: 20, maxDelayMs: 80, jitter: 0 } });
    cleanup.push(() => sup.close());
    const retries: RetryEvent[] = [];
    const reconnects: ReconnectEvent[] = [];
    // The camera goes away when the session drops and refuses connections until one attempt was refused.
    sup.on('disconnect', () => void cam1.stop());
    sup.on('retry', (e) => {
      retries.push(e);
      if (e.error.code === 'CONNECTION_REFUSED' && !cam2) {
        cam2 = new VirtualCamera({ pace: 'fast', loop: true, port });
        cam2Started = cam2.start();
      }
    });
    sup.on('reconnect', (e) => reconnects.push(e));
    await sup.start();
    const frames: RtspFrame[] = [];
    let session2 = 0;
    for await (const f of sup.frames()) {
      frames.push(f);
      if (reconnects.length > 0 && ++session2 >= 60) break;
    }
    await sup.close();
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]!.reason).not.toBe('end');
    expect(reconnects[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(reconnects[0]!.downMs).toBeGreaterThan(0);
    expect(retries.some((r) => r.error.code === 'CONNECTION_REFUSED')).toBe(true);
    expect(sup.stats.sessions).toBe(2);
    // Every frame is one whole corpus unit (nothing glued or cut), in order within each session.
    const idx = frames.map(unitIndex);
    expect(idx).not.toContain(-1);
    const gapAt = frames.findIndex((f) => f.discontinuity);
    expect(gapAt).toBeGreaterThan(0);
    expect(frames.length - gapAt).toBe(60);
    for (let i = 1; i < frames.length; i++) {
      if (i !== gapAt) expect(idx[i]).toBe((idx[i - 1]! + 1) % src.units.length);
    }
    // The new session resumes at a keyframe, flagged; new RTP timestamp base; times go on forward.
    expect(frames[gapAt]!.keyframe).toBe(true);
    expect(frames.filter((f) => f.discontinuity)).toHaveLength(1);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.presentationTime).toBeGreaterThan(frames[i - 1]!.presentationTime);
    expect(frames[gapAt]!.presentationTime - frames[gapAt - 1]!.presentationTime).toBeGreaterThanOrEqual(0.001);
    expect(sup.current).toBeUndefined();
  });

  it('reconnects after an idle timeout (a camera that stalls: no bytes, no answers)', async () => {
    const cam = await new VirtualCamera({ pace: 'fast', loop: true, faults: { stallAfter: 100 } }).start();
    cleanup.push(() => cam.stop());
    const sup = new ReconnectingRtspClient(cam.url(), { idleTimeoutMs: 300, teardownTimeoutMs: 200, reconnect: { initialDelayMs: 10, jitter: 0 } });
    cleanup.push(() => sup.close());
    const reconnects: ReconnectEvent[] = [];
    sup.on('reconnect', (e) => reconnects.push(e));
    await sup.start();
    let after = 0;
    for await (const f of sup.frames()) {
      if (reconnects.length > 0) {
        if (after === 0) expect(f.discontinuity && f.keyframe).toBe(true);
        if (++after >= 5) break;
      }
    }
    expect(reconnects[0]!.reason).toBe('TIMEOUT');
    expect(reconnects[0]!.downMs).toBeGreaterThanOrEqual(300);
  });

  it('stops at once on a permanent answer (credentials refused)', async () => {
    const cam = await new VirtualCamera({ auth: 'digest', username: 'admin', password: 'right' }).start();
    cleanup.push(() => cam.stop());
    const sup = new ReconnectingRtspClient(cam.url().replace('right', 'wrong'), { reconnect: { initialDelayMs: 10 } });
    cleanup.push(() => sup.close());
    const retries: RetryEvent[] = [];
    sup.on('retry', (e) => retries.push(e));
    await expect(sup.start()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(retries).toEqual([]);
    expect(String(retries)).not.toContain('wrong');
  });

  it('gives up after maxAttempts with the last error', async () => {
    const cam = await new VirtualCamera().start();
    const url = cam.url();
    await cam.stop();
    const sup = new ReconnectingRtspClient(url, { reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 } });
    cleanup.push(() => sup.close());
    const retries: RetryEvent[] = [];
    sup.on('retry', (e) => retries.push(e));
    await expect(sup.start()).rejects.toMatchObject({ code: 'CONNECTION_REFUSED' });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(sup.stats.failedAttempts).toBe(2);
  });
});
