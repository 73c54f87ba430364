/** Quirk policies and vendor profiles: each policy against the virtual camera quirk it is for, or on the session's fake clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { VirtualCamera, type RtspQuirks } from '../../src/testing/virtual-camera.js';
import { DEFAULT_POLICIES, PROFILES, fingerprint, resolvePolicies, sessionOptions, type QuirkPolicies } from '../../src/rtsp/policies.js';
import { Harness } from './session/harness.js';
import { cli } from '../support/cli.js';

const cams: VirtualCamera[] = [];
afterEach(async () => {
  for (const c of cams.splice(0)) await c.stop();
});

async function camera(quirks: Partial<RtspQuirks> = {}): Promise<VirtualCamera> {
  const c = await new VirtualCamera({ pace: 'realtime', quirks }).start();
  cams.push(c);
  return c;
}

/** Plays with `policies`, waits until `done(cam)` holds (checked on every frame), then closes. */
async function play(cam: VirtualCamera, policies: QuirkPolicies, done: (c: VirtualCamera) => boolean, extra: object = {}): Promise<{ warnings: string[]; frames: number }> {
  const client = new RtspClient(cam.url(), { ...sessionOptions(policies), ...extra });
  const warnings: string[] = [];
  client.on('warning', (w) => warnings.push(w.code));
  let frames = 0;
  try {
    await client.start();
    for await (const _ of client.frames()) {
      frames++;
      if (done(cam)) break;
    }
  } finally {
    await client.close();
  }
  return { warnings, frames };
}

describe('keepalive method', () => {
  it("'auto' sends OPTIONS to a camera whose Public lacks GET_PARAMETER", async () => {
    const cam = await camera({ noGetParameter: true });
    await play(cam, resolvePolicies(), (c) => c.requestLog.filter((l) => l.startsWith('OPTIONS')).length >= 2, { keepaliveIntervalMs: 50 });
    expect(cam.requestLog.filter((l) => l.startsWith('GET_PARAMETER'))).toEqual([]);
  });

  it("'SET_PARAMETER' and 'GET_PARAMETER' are sent as asked", async () => {
    const cam = await camera();
    await play(cam, resolvePolicies('generic', { keepalive: 'SET_PARAMETER' }), (c) => c.requestLog.some((l) => l.startsWith('SET_PARAMETER')), { keepaliveIntervalMs: 50 });
    expect(cam.requestLog.some((l) => l.startsWith('GET_PARAMETER'))).toBe(false);
    const cam2 = await camera();
    await play(cam2, resolvePolicies('dahua'), (c) => c.requestLog.some((l) => l.startsWith('GET_PARAMETER')), { keepaliveIntervalMs: 50 });
  });

  it("'none' sends nothing (fake clock)", async () => {
    const h = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0, ...sessionOptions(resolvePolicies('generic', { keepalive: 'none' })) });
    await h.start({ timeout: 10 });
    const before = h.requests.length;
    h.advance(60_000);
    expect(h.requests.length).toBe(before);
    const g = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0, ...sessionOptions(resolvePolicies()) });
    await g.start({ timeout: 10 });
    g.advance(5000);
    expect(g.last.method).toBe('GET_PARAMETER');
  });
});

describe('receiver reports', () => {
  it('on by default every 5 s, off with receiverReports: false (fake clock)', async () => {
    const on = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0, ...sessionOptions(resolvePolicies()) });
    await on.start();
    on.rtp(0, { seq: 1, ts: 0, marker: true }, Harness.nal());
    on.advance(5000);
    expect(on.interleavedOut.length).toBeGreaterThan(0);
    const off = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0, ...sessionOptions(resolvePolicies('generic', { receiverReports: false })) });
    await off.start();
    off.rtp(0, { seq: 1, ts: 0, marker: true }, Harness.nal());
    off.advance(20_000);
    expect(off.interleavedOut).toEqual([]);
  });
});

describe('RTP-Info trust (virtual camera sending seq=0, the Hikvision quirk)', () => {
  it("'ignore-suspicious' (generic) warns once and plays; 'ignore' (hikvision) is silent; both deliver every frame", async () => {
    let n = 0;
    const generic = await play(await camera({ bogusRtpInfo: true }), resolvePolicies(), () => ++n >= 5);
    expect(generic.warnings).toEqual(['RTSP_BAD_RTP_INFO']);
    n = 0;
    const hik = await play(await camera({ bogusRtpInfo: true }), resolvePolicies('hikvision'), () => ++n >= 5);
    expect(hik.warnings).toEqual([]);
    expect(generic.frames).toBe(5);
    expect(hik.frames).toBe(5);
    // A camera whose RTP-Info is right: no warning in either.
    n = 0;
    expect((await play(await camera(), resolvePolicies(), () => ++n >= 5)).warnings).toEqual([]);
  });
});

describe('TEARDOWN policy', () => {
  it("'skip' closes without TEARDOWN; the default sends it", async () => {
    const cam = await camera();
    await play(cam, resolvePolicies('generic', { teardown: 'skip' }), () => true);
    expect(cam.requestLog.some((l) => l.startsWith('TEARDOWN'))).toBe(false);
    expect(cam.requestLog.some((l) => l.startsWith('PLAY'))).toBe(true);
    const cam2 = await camera();
    await play(cam2, resolvePolicies('hikvision'), () => true);
    expect(cam2.requestLog.some((l) => l.startsWith('TEARDOWN'))).toBe(true);
  });
});

describe('profiles and fingerprints', () => {
  it('every profile resolves over the defaults; unknown names are refused', () => {
    for (const name of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) expect(resolvePolicies(name)).toMatchObject({ ...DEFAULT_POLICIES, ...PROFILES[name].policies });
    expect(resolvePolicies('hikvision').rtpInfo).toBe('ignore');
    expect(() => resolvePolicies('nope' as 'generic')).toThrow(RangeError);
  });

  it('fingerprints by Server header, URL path and SDP shape, with reasons', () => {
    expect(fingerprint({ server: 'Hikvision-Webs', url: 'rtsp://c/Streaming/Channels/101' })).toEqual({
      profile: 'hikvision',
      reasons: ['Server header "Hikvision-Webs"', 'URL path /Streaming/Channels/ (Hikvision stream URL)'],
    });
    expect(fingerprint({ server: 'AXIS Media Server' }).profile).toBe('axis');
    expect(fingerprint({ sdpText: 'v=0\r\ns=Session streamed by "preview"\r\n' }).profile).toBe('reolink');
    expect(fingerprint({ server: 'GStreamer RTSP server', methods: ['OPTIONS', 'DESCRIBE'] })).toMatchObject({ profile: 'generic' });
  });

  it('probe prints the suggested profile and why (virtual camera with the Dahua Content-Base quirk)', async () => {
    const cam = await camera({ dahuaContentBase: true });
    const r = await cli(['probe', cam.url()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^profile:\s+dahua \(URL path \/cam\/realmonitor \(Dahua stream URL\); Content-Base keeps the query string and a trailing "\/"/m);
    const j = JSON.parse((await cli(['probe', cam.url(), '--json'])).out) as { profile: { profile: string; reasons: string[] } };
    expect(j.profile.profile).toBe('dahua');
  });
});
