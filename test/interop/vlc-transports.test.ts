/**
 * VLC 3.0's RTSP server (`cvlc --sout '#gather:rtp{sdp=rtsp://...}'`): RTP over UDP only, `Cseq:`
 * spelling. cvlc refuses to run as root, so it runs as `nobody` (setpriv). 'auto' must get frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { corpusPath } from '../../src/testing/media-source.js';
import { freePort } from '../support/peers.js';

const haveVlc = spawnSync('sh', ['-c', 'command -v cvlc'], { stdio: 'ignore' }).status === 0 && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
if (!haveVlc && process.env.CI) throw new Error("interop peer 'vlc' is missing in CI: run scripts/install-peers.sh");
if (!haveVlc) console.warn('skipping VLC interop tests: cvlc not installed (bash scripts/install-peers.sh)');

async function listening(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error('VLC did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!haveVlc)("VLC's RTSP server (UDP only)", () => {
  let vlc: ChildProcess;
  let dir: string;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-vlc-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'in.h264');
    copyFileSync(corpusPath('h264-640x360-25fps.h264'), file);
    chmodSync(file, 0o644);
    port = await freePort();
    vlc = spawn(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'cvlc', '-q', '--demux', 'h264', '--h264-fps', '25', file, '--loop', '--sout', `#gather:rtp{sdp=rtsp://127.0.0.1:${port}/test}`],
      { stdio: 'ignore', env: { ...process.env, HOME: dir } },
    );
    await listening(port, 15_000);
  });
  afterAll(async () => {
    if (vlc && vlc.exitCode === null) {
      const gone = new Promise((r) => vlc.once('exit', r));
      vlc.kill('SIGTERM');
      await gone;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("'auto' plays over UDP and gets H.264 frames", async () => {
    const client = new RtspClient(`rtsp://127.0.0.1:${port}/test`, { transport: 'auto', udp: { natPunch: false } });
    try {
      await client.start();
      expect(client.transport).toEqual({ requested: 'auto', used: 'udp', reason: 'requested' });
      expect(client.tracks[0]!.codec).toBe('h264');
      let n = 0;
      let nalus = 0;
      for await (const f of client.frames()) {
        nalus += splitAnnexB(f.data).length;
        if (++n >= 25) break;
      }
      expect(n).toBe(25);
      expect(nalus).toBeGreaterThanOrEqual(25);
      expect(client.udpStats[0]!.foreignDatagrams).toBe(0);
    } finally {
      await client.close();
    }
  });
});
