/**
 * Replay reproduces a live session: a live RtspClient session against the virtual camera (each quirk)
 * is captured through the client's tap; replaying the capture through RtspSession gives the same
 * frames (hash of every unit) and the same warnings, with no network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { MemorySink, PcapngCapture } from '../../src/capture/capture.js';
import { captureEvents } from '../../src/capture/read.js';
import { replayCapture } from '../../src/capture/replay.js';
import { VirtualCamera, type RtspQuirks, type RtspFaults } from '../../src/testing/virtual-camera.js';

const cams: VirtualCamera[] = [];
afterEach(async () => {
  for (const c of cams.splice(0)) await c.stop();
});

interface Seen {
  frames: string[];
  warnings: string[];
}

function frameKey(f: { track: number; timestamp: number; keyframe: boolean; data: Uint8Array; discontinuity?: boolean }): string {
  return `${f.track}/${f.timestamp}/${f.keyframe ? 'K' : '-'}/${f.discontinuity ? 'D' : '-'}/${createHash('sha1').update(f.data).digest('hex')}`;
}

async function live(quirks: Partial<RtspQuirks>, faults: RtspFaults, n: number, audio = false, transport: 'tcp' | 'auto' = 'tcp'): Promise<{ seen: Seen; capture: Uint8Array }> {
  const cam = await new VirtualCamera({ pace: 'fast', auth: 'digest', password: 'se:cret', quirks, faults, audio }).start();
  cams.push(cam);
  const sink = new MemorySink();
  const cap = new PcapngCapture(sink);
  const client = new RtspClient(cam.url(), { tap: cap, transport });
  const seen: Seen = { frames: [], warnings: [] };
  client.on('warning', (w) => seen.warnings.push(`${w.code}: ${w.message}`));
  try {
    await client.start();
    for await (const f of client.frames()) {
      seen.frames.push(frameKey(f));
      if (seen.frames.length >= n) break;
    }
  } catch (e) {
    seen.warnings.push(`END ${(e as Error).message}`);
  } finally {
    await client.close();
  }
  cap.end(Date.now());
  return { seen, capture: sink.file() };
}

async function replay(capture: Uint8Array, n: number): Promise<Seen & { requests: string[] }> {
  const seen: Seen = { frames: [], warnings: [] };
  const r = await replayCapture(captureEvents(capture), {
    maxFrames: n,
    onFrame: (f) => seen.frames.push(frameKey(f)),
    onWarning: (w) => seen.warnings.push(`${w.code}: ${w.message}`),
  });
  return { ...seen, requests: r.requests };
}

const CASES: [string, Partial<RtspQuirks>, RtspFaults, boolean?][] = [
  ['no quirks (Digest)', {}, {}],
  ['bare LF heads', { bareLf: true }, {}],
  ['Dahua Content-Base with query and trailing slash', { dahuaContentBase: true }, {}],
  ['RTP before the PLAY answer', { dataBeforePlayResponse: true }, {}],
  ['server-chosen interleaved channels', { serverChosenChannels: true }, {}],
  ['marker bit never set', { noMarker: true }, {}],
  ['marker bit on SPS/PPS', { markerOnParameterSets: true }, {}],
  ['server requests mid-stream', { serverRequests: true }, {}],
  ['Cseq spelling', { cseqSpelling: true }, {}],
  ['bogus RTP-Info', { bogusRtpInfo: true }, {}],
  ['data on a stray channel', { strayChannel: true }, {}],
  ['garbage in the stream (resync)', {}, { garbageAfter: 40, garbageBytes: 37 }],
  ['IP Camera Standard API 5.0.0 SDP with audio', { seed000Sdp: true }, {}, true],
];

describe('replay of a captured session', () => {
  it.each(CASES)('%s: same frames and warnings as live', async (_name, quirks, faults, audio) => {
    const n = 60;
    const l = await live(quirks, faults, n, audio);
    expect(l.seen.frames.length).toBe(n);
    const r = await replay(l.capture, n);
    expect(r.frames).toEqual(l.seen.frames);
    expect(r.warnings).toEqual(l.seen.warnings);
    if (faults.garbageAfter) expect(l.seen.warnings.some((w) => w.startsWith('RTSP_RESYNC'))).toBe(true);
    if (quirks.strayChannel || quirks.serverRequests) expect(r.requests.length).toBeGreaterThan(3);
  });

  it('a session that ends with an error replays to the same error', async () => {
    const l = await live({}, { closeMidFrameAfter: 50 }, 1000);
    const events = captureEvents(l.capture);
    const seen: string[] = [];
    const r = await replayCapture(events, { onFrame: (f) => seen.push(frameKey(f)) });
    expect(seen).toEqual(l.seen.frames);
    expect(l.seen.warnings.at(-1)).toMatch(/^END CONNECTION_CLOSED/);
    expect(`END ${r.error?.message}`).toBe(l.seen.warnings.at(-1));
  });
});
