import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlaybackCamera } from '../../src/testing/virtual-camera-playback.js';
import { loadG711, corpusPath } from '../../src/testing/media-source.js';
import { readFileSync } from 'node:fs';
import { cli } from '../support/cli.js';

let cam: PlaybackCamera | undefined;
let dir: string | undefined;
afterEach(async () => {
  await cam?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  cam = undefined;
  dir = undefined;
});

describe('camstream talk', () => {
  it('--file tone.ulaw: the camera receives the file byte for byte as PCMU, a summary on stderr', async () => {
    cam = await new PlaybackCamera().start();
    dir = mkdtempSync(join(tmpdir(), 'camstream-talk-'));
    const tone = loadG711().subarray(0, 3200);
    const file = join(dir, 'tone.ulaw');
    writeFileSync(file, tone);
    const r = await cli(['talk', cam.url('/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif'), '--file', file, '--json']);
    expect(r.err).toMatch(/sent 3200 bytes \(0\.40 s\) as PCMU over tcp/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ codec: 'pcmu', bytes: 3200, transport: 'tcp' });
    expect(Buffer.concat(cam.backchannel.map((p) => p.payload))).toEqual(Buffer.from(tone));
    expect(cam.backchannel.every((p) => p.payloadType === 0)).toBe(true);
  });

  it('stdin with --format alaw over --udp: PCMA, every byte', async () => {
    cam = await new PlaybackCamera().start();
    const alaw = readFileSync(corpusPath('g711a-8k.alaw')).subarray(0, 1600);
    const r = await cli(['talk', cam.url(), '--format', 'alaw', '--udp'], alaw);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/as PCMA over udp/);
    const until = Date.now() + 3000;
    while (cam.backchannel.length < 10 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    expect(Buffer.concat(cam.backchannel.map((p) => p.payload))).toEqual(Buffer.from(alaw));
    expect(cam.backchannel.every((p) => p.payloadType === 8 && p.transport === 'udp')).toBe(true);
  });

  it('wrong usage is exit status 2', async () => {
    const r = await cli(['talk']);
    expect(r.code).toBe(2);
    expect((await cli(['talk', 'rtsp://h/', '--format', 'mp3'])).code).toBe(2);
  });
});
