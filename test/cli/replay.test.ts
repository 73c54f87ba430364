import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { cli } from '../support/cli.js';
import { captureEvents } from '../../src/capture/read.js';

const PASSWORD = 'rec:pw@1';
let cam: VirtualCamera;
let dir: string;
beforeAll(async () => {
  cam = await new VirtualCamera({ auth: 'digest', password: PASSWORD, pace: 'fast', quirks: { markerOnParameterSets: true } }).start();
  dir = mkdtempSync(join(tmpdir(), 'camstream-replay-'));
});
afterAll(async () => {
  await cam.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Line {
  type: string;
  sha256?: string;
  code?: string;
  message?: string;
  reason?: string;
  frames?: number;
  recorded?: number;
  error?: unknown;
}

/**
 * `record --capture` over `transport`, then `replay -o` of the capture: the same file byte for byte,
 * 40 frames. Returns what both printed and the capture's path for the caller's own checks.
 */
async function recordThenReplay(transport: 'tcp' | 'udp'): Promise<{ recorded: string; capture: string; lines: Line[] }> {
  const live = join(dir, `live-${transport}.h264`);
  const capture = join(dir, `rec-${transport}.pcapng`);
  const r = await cli(['record', cam.url(), '-o', live, '--frames', '40', '--capture', capture, '--json', '--transport', transport]);
  expect(r.code).toBe(0);
  const again = join(dir, `again-${transport}.h264`);
  const p = await cli(['replay', capture, '-o', again, '--frames', '40', '--json']);
  expect(p.err).toBe('');
  expect(p.code).toBe(0);
  const liveBytes = readFileSync(live);
  expect(liveBytes.length).toBeGreaterThan(10_000);
  expect(readFileSync(again).equals(liveBytes)).toBe(true);
  const lines = p.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  expect(lines.filter((l) => l.type === 'frame')).toHaveLength(40);
  return { recorded: r.out, capture, lines };
}

describe('camstream replay', () => {
  it('record --capture, then replay -o: the same file byte for byte, offline; no password in the capture', async () => {
    const { recorded, capture, lines } = await recordThenReplay('tcp');
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', reason: 'closed', error: null });
    expect(end.recorded).toBe((JSON.parse(recorded) as { frames: number }).frames);
    const text = readFileSync(capture).toString('latin1');
    for (const f of [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`admin:${PASSWORD}`).toString('base64')]) expect(text.includes(f)).toBe(false);
  });

  it('over UDP: the capture holds each socket\'s datagrams, dump shows them per track, replay -o gives the same file byte for byte', async () => {
    const { capture } = await recordThenReplay('udp');
    // The capture: the RTSP connection plus an RTP and an RTCP socket, the media on the RTP one.
    const events = captureEvents(readFileSync(capture));
    const opens = events.filter((e) => e.type === 'open').map((e) => (e.type === 'open' ? e.connection : undefined)!);
    expect(opens.map((c) => `${c.protocol}/${c.kind}`).sort()).toEqual(['tcp/rtsp', 'udp/rtcp', 'udp/rtp']);
    const rtpConn = opens.find((c) => c.kind === 'rtp')!;
    const rtpIn = events.filter((e) => e.type === 'data' && e.id === rtpConn.id && e.direction === 'in');
    expect(rtpIn.length).toBeGreaterThan(40);
    // No RTP rides on the RTSP connection ('$' frames): it all came over UDP.
    const rtspConn = opens.find((c) => c.kind === 'rtsp')!;
    const inbound = Buffer.concat(events.flatMap((e) => (e.type === 'data' && e.id === rtspConn.id && e.direction === 'in' ? [Buffer.from(e.bytes)] : [])));
    expect(inbound.includes(Buffer.from('RTP/AVP;unicast;client_port='))).toBe(true);
    expect(inbound.includes(0x24)).toBe(false);
    // dump of the capture: RTP records on the UDP connection, mapped to track 0, frames re-derived.
    const d = await cli(['dump', capture, '--json', '--frames']);
    expect(d.code).toBe(0);
    const recs = d.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; conn?: number; track?: number | null });
    const rtp = recs.filter((x) => x.type === 'rtp');
    expect(rtp.length).toBe(rtpIn.length);
    expect(rtp.every((x) => x.track === 0)).toBe(true);
    expect(recs.filter((x) => x.type === 'frame').length).toBeGreaterThanOrEqual(40);
  });

  it('regression from a committed capture: garbage mid-stream is skipped (RTSP_RESYNC) and no intact frame is lost', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/captures/resync-garbage.pcapng', import.meta.url));
    const r = await cli(['replay', fixture, '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const warnings = lines.filter((l) => l.type === 'warning');
    expect(warnings.map((w) => w.code)).toEqual(['RTSP_RESYNC']);
    expect(warnings[0]!.message).toContain('skipped 37 bytes');
    // Every frame is the corpus access unit the camera sent, in order, none missing around the garbage.
    const units = loadH264().units;
    const frames = lines.filter((l) => l.type === 'frame');
    expect(frames.length).toBeGreaterThanOrEqual(12);
    const { createHash } = await import('node:crypto');
    const annexB = (nals: Uint8Array[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), Buffer.from(n)]));
    frames.forEach((f, i) => expect(f.sha256, `frame ${i}`).toBe(createHash('sha256').update(annexB(units[i]!)).digest('hex')));
    expect(lines.at(-1)).toMatchObject({ type: 'end', reason: 'closed' });
  });

  it('text output and a file that is not a capture', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/captures/resync-garbage.pcapng', import.meta.url));
    const r = await cli(['replay', fixture]);
    expect(r.out).toMatch(/^frame track0 h264 ts=\d+ size=\d+ key sha256=[0-9a-f]{16}$/m);
    expect(r.out).toMatch(/^warning RTSP_RESYNC: /m);
    expect(r.out).toMatch(/^end: closed; \d+ frames, 1 warnings from rtsp:\/\/127\.0\.0\.1:\d+\/cam\/realmonitor/m);
    const bad = await cli(['replay', fileURLToPath(import.meta.url)]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('CAPTURE_BAD_FILE');
  });
});
