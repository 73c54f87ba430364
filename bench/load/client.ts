/**
 * The client side of bench/many-sessions.ts: one process holding N `RtspClient` sessions (the
 * built package, as a user gets it), each reading `frames()` from bench/load/generator.ts.
 *
 * Usage: node --expose-gc build/bench/load/client.js URL N tcp|udp WARMUP_S MEASURE_S [SAMPLE_S]
 *   prints `WINDOW` when the measured window starts (every session playing and warmed up), then one
 *   JSON line: CPU, RSS and heap per session, timers, frames delivered and lost, delay quantiles
 *   (send time, stamped by the generator on the shared monotonic clock, to delivery by `frames()`),
 *   and an RSS/heap sample every SAMPLE_S seconds (the flat-memory check of long runs).
 */
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStamp, STAMP_UUID } from './generator.js';
import { Histogram } from './histogram.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

interface Client {
  start(): Promise<void>;
  frames(): AsyncIterable<{ data: Uint8Array; loss: boolean }>;
  close(): Promise<void>;
  stats: { lostPackets: number; droppedUnits: number; bytesIn: number };
  resources: { socket: boolean; timer: boolean };
  transport: { used: string } | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The floor: a bare reader standing in for `RtspClient` (transport `tcp-bare` / `udp-bare`). SETUP and
 * PLAY by hand on one socket, then only count marker bits: TCP walks the `$` frame headers (RFC 2326
 * §10.12) through one reused read buffer; UDP counts them on a `dgram` socket. No depacketizing, no
 * timers, no keepalive: what Node itself costs to move the same bytes.
 */
class BareClient implements Client {
  stats = { lostPackets: 0, droppedUnits: 0, bytesIn: 0 };
  resources = { socket: true, timer: false };
  transport: { used: string };
  private markers = 0;
  private sock: import('node:net').Socket | undefined;
  private dgram: import('node:dgram').Socket | undefined;
  constructor(
    private readonly url: string,
    private readonly udp: boolean,
  ) {
    this.transport = { used: udp ? 'udp-bare' : 'tcp-bare' };
  }

  async start(): Promise<void> {
    const { connect } = await import('node:net');
    const { createSocket } = await import('node:dgram');
    const u = new URL(this.url);
    const buf = Buffer.allocUnsafeSlow(64 * 1024);
    let text = '';
    let waiting: ((head: string) => void) | undefined;
    let binary = false;
    let skip = 0;
    const hdr = Buffer.alloc(6);
    let hdrLen = 0;
    const walk = (b: Buffer, p: number, end: number): void => {
      while (p < end) {
        if (skip > 0) {
          const k = Math.min(skip, end - p);
          skip -= k;
          p += k;
          continue;
        }
        hdr[hdrLen++] = b[p++]!;
        if (hdrLen === 6) {
          if ((hdr[5]! & 0x80) !== 0) this.markers++;
          skip = 4 + hdr.readUInt16BE(2) - 6;
          hdrLen = 0;
        }
      }
    };
    const sock = connect({
      host: u.hostname,
      port: Number(u.port),
      onread: {
        buffer: buf,
        callback: (n) => {
          this.stats.bytesIn += n;
          if (binary) walk(buf, 0, n);
          else {
            text += buf.toString('latin1', 0, n);
            const e = text.indexOf('\r\n\r\n');
            if (e >= 0 && waiting) {
              const head = text.slice(0, e);
              const rest = Buffer.from(text.slice(e + 4), 'latin1');
              text = '';
              const w = waiting;
              waiting = undefined;
              w(head);
              if (binary) walk(rest, 0, rest.length);
            }
          }
          return true;
        },
      },
    });
    this.sock = sock;
    await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
    let cseq = 0;
    const request = (line: string, extra: string): Promise<string> =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`${line.split(' ')[0]}: no answer in 10 s`)), 10_000);
        waiting = (head) => {
          clearTimeout(timer);
          res(head);
        };
        sock.write(`${line} RTSP/1.0\r\nCSeq: ${++cseq}\r\n${extra}\r\n`);
      });
    let transport = 'RTP/AVP/TCP;unicast;interleaved=0-1';
    if (this.udp) {
      const d = createSocket({ type: 'udp4', recvBufferSize: 2 * 1024 * 1024 });
      await new Promise<void>((res) => d.bind(0, '127.0.0.1', res));
      d.on('message', (m: Buffer) => {
        this.stats.bytesIn += m.length;
        if ((m[1]! & 0x80) !== 0) this.markers++;
      });
      this.dgram = d;
      transport = `RTP/AVP;unicast;client_port=${d.address().port}-${d.address().port + 1}`;
    }
    const setup = await request(`SETUP ${this.url}/track1`, `Transport: ${transport}\r\n`);
    const session = /Session: ([^;\r\n]+)/i.exec(setup)?.[1] ?? '';
    await request(`PLAY ${this.url}`, `Session: ${session}\r\n`);
    binary = true;
  }

  async *frames(): AsyncIterable<{ data: Uint8Array; loss: boolean }> {
    // Nothing to deliver: the count is read at the end (markers); stays open until close().
    await new Promise<void>((res) => this.sock!.once('close', res));
  }

  get frameCount(): number {
    return this.markers;
  }

  async close(): Promise<void> {
    this.sock?.destroy();
    this.dgram?.close();
  }
}
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const [url, nArg, transport, warmArg, measureArg, sampleArg] = process.argv.slice(2);
  const n = Number(nArg);
  const warmupS = Number(warmArg);
  const measureS = Number(measureArg);
  const sampleS = Number(sampleArg ?? 10);
  const mod = (await import(join(repo, 'dist', 'index.js'))) as { RtspClient: new (url: string, o: object) => Client };
  gc();
  await sleep(200);
  gc();
  const rss0 = process.memoryUsage().rss;

  const delay = new Histogram();
  let measuring = false;
  let delivered = 0;
  let gapFrames = 0;
  let lossFlagged = 0;
  let unstamped = 0;
  let ended = 0;
  let endedDuringWindow = 0;
  let bytesOut = 0;
  const clients: Client[] = [];

  const consume = async (c: Client): Promise<void> => {
    let expect = -1;
    try {
      for await (const f of c.frames()) {
        const d = f.data;
        let at = 4;
        if (!(d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 1 && d[4] === 0x06)) {
          const u = Buffer.from(d.buffer, d.byteOffset, Math.min(d.length, 512)).indexOf(STAMP_UUID);
          at = u - 3;
        }
        const st = at >= 0 ? readStamp(d, at) : undefined;
        if (!measuring) {
          if (st) expect = st.index + 1;
          continue;
        }
        delivered++;
        bytesOut += d.length;
        if (f.loss) lossFlagged++;
        if (!st) {
          unstamped++;
          continue;
        }
        delay.add(Number(process.hrtime.bigint() - st.sentNs) / 1e6);
        if (expect >= 0 && st.index > expect) gapFrames += st.index - expect;
        expect = st.index + 1;
      }
    } catch {
      // counted below as an ended session
    }
    ended++;
    if (measuring) endedDuringWindow++;
  };

  // Open the sessions, at most 25 handshakes at a time.
  const t0 = Date.now();
  let next = 0;
  const startErrors: string[] = [];
  const opener = async (): Promise<void> => {
    while (next < n) {
      next++;
      const c = transport!.endsWith('-bare') ? new BareClient(url!, transport === 'udp-bare') : new mod.RtspClient(url!, { transport, media: ['video'] });
      try {
        await c.start();
        clients.push(c);
        void consume(c);
      } catch (e) {
        if (startErrors.length < 5) startErrors.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(25, n) }, opener));
  const openS = (Date.now() - t0) / 1000;
  await sleep(warmupS * 1000);

  gc();
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const handles = process.getActiveResourcesInfo().length;
  const clientTimers = clients.filter((c) => c.resources.timer).length;
  const lost0 = clients.reduce((s, c) => s + c.stats.lostPackets, 0);
  const dropped0 = clients.reduce((s, c) => s + c.stats.droppedUnits, 0);
  const bytes0 = clients.reduce((s, c) => s + c.stats.bytesIn, 0);
  const bareFrames = (): number => clients.reduce((s, c) => s + (c instanceof BareClient ? c.frameCount : 0), 0);
  const bare0 = bareFrames();
  process.stdout.write('WINDOW\n');
  measuring = true;
  const cpu0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  const samples: { t: number; rssMiB: number; heapMiB: number; externalMiB: number }[] = [];
  const mib = (x: number): number => Math.round((x / 1048576) * 10) / 10;
  let rssMax = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rssMax = Math.max(rssMax, m.rss);
    samples.push({ t: Math.round(Number(process.hrtime.bigint() - w0) / 1e9), rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), externalMiB: mib(m.external + m.arrayBuffers) });
  };
  sample();
  const sampler = setInterval(sample, sampleS * 1000);
  await sleep(measureS * 1000);
  clearInterval(sampler);
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  sample();
  const memNoGc = process.memoryUsage();
  gc();
  const mem = process.memoryUsage();
  const result = {
    n,
    transport,
    sessions: clients.length,
    transports: [...new Set(clients.map((c) => c.transport?.used ?? '?'))],
    startErrors,
    openS,
    wallS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    userS: cpu.user / 1e6,
    sysS: cpu.system / 1e6,
    cores: (cpu.user + cpu.system) / 1e6 / wallS,
    rss0MiB: mib(rss0),
    rssMiB: mib(mem.rss),
    rssMaxMiB: mib(rssMax),
    heapMiB: mib(mem.heapUsed),
    externalMiB: mib(mem.external + mem.arrayBuffers),
    rssBeforeGcMiB: mib(memNoGc.rss),
    externalBeforeGcMiB: mib(memNoGc.external + memNoGc.arrayBuffers),
    rssPerSessionKiB: Math.round((mem.rss - rss0) / 1024 / Math.max(1, clients.length)),
    timers,
    clientTimers,
    handles,
    delivered: delivered + bareFrames() - bare0,
    bytesIn: clients.reduce((s, c) => s + c.stats.bytesIn, 0) - bytes0,
    bytesOut,
    gapFrames,
    lossFlagged,
    unstamped,
    lostPackets: clients.reduce((s, c) => s + c.stats.lostPackets, 0) - lost0,
    droppedUnits: clients.reduce((s, c) => s + c.stats.droppedUnits, 0) - dropped0,
    endedBeforeWindow: ended - endedDuringWindow,
    endedDuringWindow,
    delayP50Ms: delay.quantile(0.5),
    delayP99Ms: delay.quantile(0.99),
    delayMaxMs: delay.max,
    samples,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  await Promise.race([Promise.all(clients.map((c) => c.close().catch(() => undefined))), sleep(5000)]);
  process.exit(0);
}

await main();
