/**
 * Whole-process RTSP ingest comparison: CPU seconds per GB ingested from GStreamer's RTSP
 * server (gst-rtsp-server, loopback, RTP/AVP/TCP interleaved) pushing a looped 1080p H.264 file,
 * for the same number of frames, by:
 *   1. a bare socket reader (the floor): hand-written DESCRIBE/SETUP/PLAY, then it only walks the
 *      `$` frame headers (RFC 2326 §10.12) to count RTP marker bits;
 *   2. `camstream record URL --frames N -o -` (the CLI: client + depacketizer + Annex B written to a
 *      stdout that is /dev/null);
 *   3. camstream as a library: RtspClient.frames() counting frames (no output);
 *   4. `ffmpeg -rtsp_transport tcp -i URL -c copy -f null -` (with -frames:v N).
 * CPU = user + system of each client process (/usr/bin/time); the server's CPU is not counted.
 * Results go to the `external-rtsp` section of bench/RESULTS.md.
 *
 * `--transport udp`: the same four clients over RTP/AVP UDP unicast (RFC 2326 §12.39). UDP has no
 * backpressure, so the server is paced in real time (a 1080p100 ~60 Mbit/s file, played once); the
 * bare reader is then two `dgram` sockets counting marker bits, ffmpeg runs with
 * `-rtsp_transport udp`, and each client's lost packets are reported beside its CPU. Results go to
 * the `external-rtsp-udp` section.
 *
 * Usage: npm run bench:external-rtsp [-- --frames N --transport tcp|udp]. Internal modes (this same
 * file, as a child): node build/bench/external-rtsp.js --bare URL N | --bare-udp URL N | --lib URL N [udp]
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceSection, resultsPath } from './results-file.js';
import { makeTestH264 } from './media-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');

// --- child mode 1: the bare socket reader ------------------------------------------------------

/**
 * RTSP request/response over one socket, then the interleaved stream; counts N frames (markers).
 * With `udp`, SETUP asks for a client_port pair bound first, and the frames are counted on the RTP
 * socket (sequence gaps reported as lost packets); the control socket then only stays open.
 */
async function bareReader(url: string, frames: number, udp = false): Promise<void> {
  const u = new URL(url);
  // Reads through one static 64 KiB buffer (`onread`): no allocation per read.
  const sock = connect({ host: u.hostname, port: Number(u.port || 554), onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n, b) => (onRead(b, n), true) } });
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
  let text = Buffer.alloc(0);
  let waiting: ((r: { head: string; body: string; rest: Buffer }) => void) | undefined;
  let binary = false;
  let bytes = 0;
  let markers = 0;
  // Interleaved state: bytes of the current frame still to skip, and a partial 6-byte header.
  let skip = 0;
  const hdr = Buffer.alloc(6);
  let hdrLen = 0;
  const t0 = process.hrtime.bigint();
  const done = (): void => {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(JSON.stringify({ bytes, frames: markers, seconds: s }) + '\n');
    sock.destroy();
    process.exit(0);
  };
  const walk = (b: Buffer, from: number, end: number): void => {
    let p = from;
    while (p < end) {
      if (skip > 0) {
        const n = Math.min(skip, end - p);
        skip -= n;
        p += n;
        continue;
      }
      if (hdrLen === 0 && p + 6 <= end) {
        if (b[p] !== 0x24 /* '$' */) throw new Error(`lost framing at byte ${bytes}`);
        if (b[p + 1] === 0 && (b[p + 5]! & 0x80) !== 0) markers++;
        skip = 4 + b.readUInt16BE(p + 2);
        continue;
      }
      hdr[hdrLen++] = b[p++]!;
      if (hdrLen === 6) {
        if (hdr[0] !== 0x24) throw new Error(`lost framing at byte ${bytes}`);
        if (hdr[1] === 0 && (hdr[5]! & 0x80) !== 0) markers++;
        skip = 4 + hdr.readUInt16BE(2) - 6;
        hdrLen = 0;
      }
    }
    if (markers >= frames) done();
  };
  function onRead(b: Uint8Array, n: number): void {
    if (binary) {
      bytes += n;
      walk(b as Buffer, 0, n);
      return;
    }
    text = Buffer.concat([text, b.subarray(0, n)]); // handshake only (3 small responses)
    const he = text.indexOf('\r\n\r\n');
    if (he < 0 || !waiting) return;
    const head = text.subarray(0, he).toString('latin1');
    const m = /content-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (text.length < he + 4 + len) return;
    const body = text.subarray(he + 4, he + 4 + len).toString('latin1');
    const rest = text.subarray(he + 4 + len);
    text = Buffer.alloc(0);
    const w = waiting;
    waiting = undefined;
    w({ head, body, rest });
  }
  let cseq = 0;
  const request = (method: string, target: string, extra: string): Promise<{ head: string; body: string; rest: Buffer }> =>
    new Promise((resolve) => {
      waiting = resolve;
      sock.write(`${method} ${target} RTSP/1.0\r\nCSeq: ${++cseq}\r\nUser-Agent: bare-reader\r\n${extra}\r\n`);
    });
  const d = await request('DESCRIBE', url, 'Accept: application/sdp\r\n');
  const base = /content-base:\s*(\S+)/i.exec(d.head)?.[1] ?? url + '/';
  const video = d.body.split(/\r?\n(?=m=)/).find((s) => s.startsWith('m=video'));
  const control = /a=control:(\S+)/.exec(video ?? '')?.[1] ?? '';
  const track = /^rtsp:/.test(control) ? control : base.replace(/\/?$/, '/') + control;
  let transport = 'RTP/AVP/TCP;unicast;interleaved=0-1';
  let rtpSock: ReturnType<typeof createSocket> | undefined;
  if (udp) {
    // An even RTP port and the odd one after it (RFC 3550 §11), 2 MiB receive buffers (camstream's default).
    for (;;) {
      const a = createSocket({ type: 'udp4', recvBufferSize: 2 * 1024 * 1024 });
      const b = createSocket({ type: 'udp4', recvBufferSize: 2 * 1024 * 1024 });
      const pa = await new Promise<number>((res) => a.bind(0, '127.0.0.1', () => res(a.address().port)));
      const ok = (pa & 1) === 0 && (await new Promise<boolean>((res) => (b.once('error', () => res(false)), b.bind(pa + 1, '127.0.0.1', () => res(true)))));
      if (ok) {
        rtpSock = a;
        b.on('message', () => undefined);
        transport = `RTP/AVP;unicast;client_port=${pa}-${pa + 1}`;
        break;
      }
      a.close();
      b.close();
    }
    let lastSeq = -1;
    let lost = 0;
    rtpSock.on('message', (m: Buffer) => {
      bytes += m.length;
      const seq = m.readUInt16BE(2);
      if (lastSeq >= 0) lost += (seq - lastSeq - 1) & 0xffff;
      lastSeq = seq;
      if ((m[1]! & 0x80) !== 0 && ++markers >= frames) {
        const sec = Number(process.hrtime.bigint() - t0) / 1e9;
        process.stdout.write(JSON.stringify({ bytes, frames: markers, seconds: sec, lost }) + '\n');
        process.exit(0);
      }
    });
  }
  const s = await request('SETUP', track, `Transport: ${transport}\r\n`);
  const session = /session:\s*([^;\r\n]+)/i.exec(s.head)?.[1]?.trim() ?? '';
  // PLAY's response may share a chunk with the first '$' frames: they come back as `rest`.
  const p = await request('PLAY', base, `Session: ${session}\r\nRange: npt=0-\r\n`);
  if (!/^RTSP\/1\.0 200/.test(p.head)) throw new Error(`PLAY failed: ${p.head.split('\r\n')[0]}`);
  if (udp) return;
  binary = true;
  bytes += p.rest.length;
  walk(p.rest, 0, p.rest.length);
}

// --- child mode 2: camstream as a library -------------------------------------------------------

async function libReader(url: string, frames: number, transport: string): Promise<void> {
  const mod = (await import(join(repo, 'dist', 'index.js'))) as {
    RtspClient: new (url: string, o: object) => {
      start(): Promise<void>;
      frames(): AsyncIterable<{ data: Uint8Array }>;
      close(): Promise<void>;
      stats: { bytesIn: number; lostPackets: number };
    };
  };
  const c = new mod.RtspClient(url, { media: ['video'], transport });
  const t0 = process.hrtime.bigint();
  await c.start();
  let n = 0;
  let out = 0;
  for await (const f of c.frames()) {
    out += f.data.length;
    if (++n >= frames) break;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ bytes: c.stats.bytesIn, frames: n, out, seconds: s, lost: c.stats.lostPackets }) + '\n');
  await c.close().catch(() => undefined);
  process.exit(0);
}

// --- parent: file, server, runs ----------------------------------------------------------------

interface Run {
  name: string;
  user: number;
  sys: number;
  wall: number;
  bytes?: number;
  frames?: number;
  /** Packets the client reported lost (UDP). */
  lost?: number;
  ok: boolean;
  note: string;
}

/** Runs a command under /usr/bin/time; CPU = user + sys of the process (and its children). */
function timed(name: string, cmd: string, args: string[], timeoutS: number, stdoutToNull = false): Promise<Run & { stdout: string; stderr: string }> {
  const tf = join(tmpdir(), `camstream-time-${process.pid}-${name.replace(/\W+/g, '_')}`);
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %e', '-o', tf, cmd, ...args], { stdio: ['ignore', stdoutToNull ? 'ignore' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let missed = 0;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      const t = d.toString();
      // ffmpeg's RTP demuxer: "RTP: missed N packets" (libavformat/rtpdec.c).
      for (const m of t.matchAll(/missed (\d+) packets/g)) missed += Number(m[1]);
      stderr = (stderr + t).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutS * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const [u, s, e] = (existsSync(tf) ? readFileSync(tf, 'utf8').trim().split('\n').pop()! : '0 0 0').split(' ').map(Number);
      resolve({ name, user: u ?? 0, sys: s ?? 0, wall: e ?? 0, ok: code === 0, note: code === 0 ? '' : `exit ${code}: ${stderr.slice(-300)}`, stdout, stderr, lost: missed });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--bare') return bareReader(argv[1]!, Number(argv[2]));
  if (argv[0] === '--bare-udp') return bareReader(argv[1]!, Number(argv[2]), true);
  if (argv[0] === '--lib') return libReader(argv[1]!, Number(argv[2]), argv[3] ?? 'tcp');
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const serverKind = opt('--server') ?? 'gst';
  const udp = opt('--transport') === 'udp';
  const frames = Number(opt('--frames') ?? (udp ? 2500 : 10_000));

  // peers.js (compiled into build/) starts the Python server script that sits next to it.
  copyFileSync(join(repo, 'test', 'support', 'gst-rtsp-server.py'), join(repo, 'build', 'test', 'support', 'gst-rtsp-server.py'));
  const peers = (await import(join(repo, 'build', 'test', 'support', 'peers.js'))) as typeof import('../test/support/peers.js');
  if (!peers.haveFfmpeg || !peers.haveGst) throw new Error('ffmpeg and GStreamer (gst-rtsp-server, python3-gi) are required: see docs/peers.md');
  // TCP: 25 s of 1080p25 at ~16 Mbit/s (about 50 MB, looped). UDP: 30 s of 1080p100 at ~60 Mbit/s
  // (played once, paced: ~7.5 MB/s on the wire).
  const file = udp
    ? makeTestH264({ size: '1920x1080', fps: 100, seconds: 30, mbps: 60, gop: 100 })
    : makeTestH264({ size: '1920x1080', fps: 25, seconds: 25, mbps: 16, gop: 25 });
  const fileMb = statSync(file).size / 1e6;
  let url: string;
  let stopServer: () => Promise<unknown>;
  let serverNote: string;
  if (udp) {
    // Paced (udpsink sync=true): each client gets its own pipeline playing the file once from the start.
    const launch = `filesrc location=${file} ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1`;
    const server = await peers.startGst({ mounts: { '/file': launch } });
    url = server.url('/file');
    stopServer = () => server.stop();
    serverNote = 'gst-rtsp-server 1.22, paced in real time (100 fps), playing the file once per client';
  } else if (serverKind === 'gst') {
    // gst-rtsp-server, unpaced: the server's stream sinks get sync=false (gst-rtsp-server.py
    // --unpaced), so the looped file is pushed as fast as each client reads it.
    const launch = `multifilesrc location=${file} loop=true ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1`;
    const server = await peers.startGst({ mounts: { '/file': launch }, unpaced: true });
    url = server.url('/file');
    stopServer = () => server.stop();
    serverNote = 'gst-rtsp-server 1.22, unpaced (stream sinks sync=false), looping the file';
  } else {
    // --server vcam: camstream's VirtualCamera in 'fast' mode, in this (parent) process.
    const vc = (await import(join(repo, 'build', 'src', 'testing', 'virtual-camera.js'))) as typeof import('../src/testing/virtual-camera.js');
    const ms = (await import(join(repo, 'build', 'src', 'testing', 'media-source.js'))) as typeof import('../src/testing/media-source.js');
    const cam = await new vc.VirtualCamera({ pace: 'fast', loop: true, auth: 'none', h264: ms.loadH264(file, 25) }).start();
    url = cam.url(undefined, false);
    stopServer = () => cam.stop();
    serverNote = "camstream VirtualCamera, pace 'fast'";
  }
  const self = fileURLToPath(import.meta.url);
  const runs: Run[] = [];
  try {
    const add = (r: Run & { stdout: string; stderr: string }, parse: boolean): void => {
      if (parse && r.ok) {
        try {
          const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { bytes: number; frames: number; lost?: number };
          r.bytes = j.bytes;
          r.frames = j.frames;
          r.lost = j.lost;
        } catch {
          r.note = `no result line: ${r.stdout.slice(-200)}`;
        }
      }
      runs.push(r);
      console.log(`${r.name.padEnd(40)} user ${r.user.toFixed(2)} s  sys ${r.sys.toFixed(2)} s  wall ${r.wall.toFixed(2)} s  ${r.bytes ? (r.bytes / 1e6).toFixed(0) + ' MB' : ''} ${udp ? `lost ${r.lost ?? '?'}` : ''} ${r.note}`);
    };
    const tr = udp ? 'udp' : 'tcp';
    add(await timed(udp ? 'bare dgram reader (floor)' : 'bare socket reader (floor)', process.execPath, [self, udp ? '--bare-udp' : '--bare', url, String(frames)], 600), true);
    add(await timed('camstream library (RtspClient.frames)', process.execPath, [self, '--lib', url, String(frames), tr], 600), true);
    // `-o -`: Annex B H.264 on stdout, which goes to /dev/null; the summary line comes on stderr
    // ("record URL: ..., N packets lost -> ...").
    const rec = await timed('camstream record -o - (to /dev/null)', process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'record', url, '--transport', tr, '--frames', String(frames), '-o', '-'], 600, true);
    const lostMatch = /(\d+) packets lost/.exec(rec.stderr);
    if (rec.ok && lostMatch) rec.lost = Number(lostMatch[1]);
    add(rec, false);
    add(await timed('ffmpeg -c copy -f null', 'ffmpeg', ['-v', 'warning', '-rtsp_transport', tr, '-i', url, '-frames:v', String(frames), '-c', 'copy', '-f', 'null', '-'], 600), false);
  } finally {
    await stopServer();
  }

  // All clients ingest the same N frames of the same looped file: the floor's byte count is the
  // ingested volume for each of them.
  const floor = runs[0]!;
  const gb = (floor.bytes ?? 0) / 1e9;
  const cpu = (r: Run): number => r.user + r.sys;
  const perGb = (r: Run): number => (gb > 0 ? cpu(r) / gb : NaN);
  const ff = runs.find((r) => r.name.startsWith('ffmpeg'))!;
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, by \`npm run bench:external-rtsp\`.`,
    udp
      ? `Server: ${serverNote}, loopback, RTP/AVP UDP unicast, a ${fileMb.toFixed(0)} MB 1080p100 H.264 file (libx264 ultrafast, ~60 Mbit/s, 1 s GOP);`
      : `Server: ${serverNote}, loopback, TCP interleaved, looping a ${fileMb.toFixed(0)} MB 1080p25 H.264 file (libx264 ultrafast, ~16 Mbit/s, 1 s GOP);`,
    `each client takes ${frames} frames = ${(gb * 1000).toFixed(0)} MB on the wire. CPU = user + sys of the client process only (/usr/bin/time).`,
    '',
    `| client | CPU s | CPU s/GB | wall s | MB/s (wall) | CPU vs bare reader | CPU vs ffmpeg |${udp ? ' packets lost |' : ''}`,
    `|---|---:|---:|---:|---:|---:|---:|${udp ? '---:|' : ''}`,
    ...runs.map(
      (r) =>
        `| ${r.name}${r.ok ? '' : ' (FAILED)'} | ${cpu(r).toFixed(2)} | ${perGb(r).toFixed(2)} | ${r.wall.toFixed(2)} | ${r.wall > 0 ? ((gb * 1000) / r.wall).toFixed(0) : '—'} | ${(cpu(r) / cpu(floor)).toFixed(2)} | ${(cpu(r) / cpu(ff)).toFixed(2)} |${udp ? ` ${r.lost ?? '?'} |` : ''}`,
    ),
    '',
    udp
      ? 'Wall time is the stream\'s own (paced at 100 fps). ffmpeg\'s losses are its "RTP: missed N packets" warnings; the bare reader counts sequence gaps.'
      : 'Wall MB/s is bounded by the server (on the same 2 cores), not only by the clients.',
  ];
  const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
  writeFileSync(resultsPath, replaceSection(old, udp ? 'external-rtsp-udp' : 'external-rtsp', lines.join('\n')));
  console.log(lines.join('\n'));
  console.log(`wrote ${resultsPath}`);
}

await main();
