/**
 * "keepalive keeps a session with timeout=10 alive past 30 s". The VirtualCamera enforces
 * the timeout like real cameras do (it drops a session that sends no request for 10 s); the control
 * case without keepalive shows the camera really does drop it. Both run concurrently (~32 s).
 */
import { describe, expect, it } from 'vitest';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { ProtocolError } from '../../src/errors.js';

async function watch(keepalive: boolean, quirks = {}): Promise<{ lastFrameAt: number; error: unknown; client: RtspClient }> {
  const cam = await new VirtualCamera({ sessionTimeout: 10, enforceTimeout: true, quirks }).start();
  const client = new RtspClient(cam.url(), { keepalive });
  const t0 = Date.now();
  let lastFrameAt = 0;
  let error: unknown;
  try {
    await client.start();
    for await (const _ of client.frames()) {
      lastFrameAt = (Date.now() - t0) / 1000;
      if (lastFrameAt > 31) break;
    }
  } catch (e) {
    error = e;
  } finally {
    await client.close();
    await cam.stop();
  }
  return { lastFrameAt, error, client };
}

describe.concurrent('keepalive against a camera that enforces Session timeout=10', () => {
  it('with keepalive (GET_PARAMETER every 5 s) the session is alive past 30 s', async () => {
    const r = await watch(true);
    expect(r.error).toBeUndefined();
    expect(r.lastFrameAt).toBeGreaterThan(30);
    expect(r.client.stats.keepalivesSent).toBeGreaterThanOrEqual(5);
  }, 45_000);

  it('with OPTIONS when GET_PARAMETER is not offered, likewise', async () => {
    const r = await watch(true, { noGetParameter: true });
    expect(r.error).toBeUndefined();
    expect(r.lastFrameAt).toBeGreaterThan(30);
  }, 45_000);

  it('control: without keepalive the camera drops the session after ~10 s', async () => {
    const r = await watch(false);
    expect(r.error).toBeInstanceOf(ProtocolError);
    expect((r.error as ProtocolError).code).toBe('CONNECTION_CLOSED');
    expect(r.lastFrameAt).toBeGreaterThan(9);
    expect(r.lastFrameAt).toBeLessThan(12);
  }, 45_000);
});
