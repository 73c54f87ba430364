/** The library API edges: one consumer, break ends the session, asyncDispose, byte-bounded queue, codec params. */
import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { ProtocolError } from '../../src/errors.js';

let cams: VirtualCamera[] = [];
afterEach(async () => {
  await Promise.all(cams.map((c) => c.stop()));
  cams = [];
});
async function camera(): Promise<VirtualCamera> {
  const c = await new VirtualCamera({ pace: 'fast' }).start();
  cams.push(c);
  return c;
}

describe('RtspClient API', () => {
  it('frames() before any track is set up, or twice, is a clear INVALID_STATE error', async () => {
    const cam = await camera();
    const client = new RtspClient(cam.url());
    expect(() => client.frames()).toThrow(ProtocolError);
    expect(() => client.frames()).toThrow(/before any track is set up/);
    await client.start();
    client.frames();
    let e: unknown;
    try {
      client.frames();
    } catch (x) {
      e = x;
    }
    expect((e as ProtocolError).code).toBe('INVALID_STATE');
    await client.close();
  });

  it('break out of for await ends the session: TEARDOWN sent, socket and timer released', async () => {
    const cam = await camera();
    let closes = 0;
    const client = new RtspClient(cam.url(), { tap: { open: () => undefined, data: () => undefined, close: () => void closes++ } });
    await client.start();
    let n = 0;
    for await (const _ of client.frames()) if (++n === 3) break;
    await new Promise<void>((r) => (client.endReason ? r() : client.once('close', () => r())));
    await client.close(); // the same close the break started
    expect(client.endReason).toBe('closed');
    expect(client.resources).toEqual({ socket: false, timer: false });
    expect(closes).toBe(1);
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
  });

  it('Symbol.asyncDispose closes the client (await using)', async () => {
    const cam = await camera();
    const client = new RtspClient(cam.url());
    await client.start();
    await client[Symbol.asyncDispose]();
    expect(client.state).toBe('closed');
    expect(client.resources).toEqual({ socket: false, timer: false });
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
  });

  it('the frame queue is bounded in bytes: the socket pauses before frameQueueBytes is much exceeded', async () => {
    const cam = await camera();
    const client = new RtspClient(cam.url(), { frameQueueSize: 100_000, frameQueueBytes: 200_000 });
    await client.start();
    const session = client.rtsp as unknown as { flowPaused: boolean };
    for (let i = 0; i < 2000 && !session.flowPaused; i++) await new Promise((r) => setImmediate(r));
    expect(session.flowPaused).toBe(true);
    const q = (client as unknown as { queue: { queuedBytes: number; size: number } }).queue;
    // Over the bound by what one read chunk carries at most, not by the frame count bound.
    expect(q.queuedBytes).toBeGreaterThan(200_000);
    expect(q.queuedBytes).toBeLessThan(200_000 + 2 * 1024 * 1024);
    expect(q.size).toBeLessThan(100_000);
    await client.close();
  });

  it('a failed describe() (wrong password) releases the client without close(): nothing keeps the process alive', async () => {
    const cam = await new VirtualCamera({ auth: 'digest', password: 'right' }).start();
    cams.push(cam);
    let opened = 0;
    let closed = 0;
    const client = new RtspClient(cam.url().replace('right', 'wrong'), { tap: { open: () => void opened++, data: () => undefined, close: () => void closed++ } });
    const e = (await client.describe().catch((x: unknown) => x)) as ProtocolError;
    expect(e.code).toBe('AUTH_FAILED');
    expect(client.resources).toEqual({ socket: false, timer: false });
    expect([opened, closed]).toEqual([1, 1]);
    expect(client.state).toBe('closed');
  });

  it('tracks carry codec parameters right after DESCRIBE (sprop-parameter-sets)', async () => {
    const cam = await camera();
    const client = new RtspClient(cam.url());
    const d = await client.describe();
    expect(d.tracks[0]).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(d.tracks[0]!.codecString).toMatch(/^avc1\.42c01e$/i);
    expect(d.tracks[0]!.decoderConfig?.[0]).toBe(1);
    await client.close();
  });
});
