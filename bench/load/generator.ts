/**
 * Load generator for bench/many-sessions.ts: a minimal RTSP server (RFC 2326) in its own process,
 * serving one prepacketized H.264 stream to any number of sessions, paced in real time, over TCP
 * interleaved (§10.12) or UDP unicast (§12.39, one shared server port pair). Loopback only.
 *
 * The access units are packetized once (RFC 6184 single NAL unit and FU-A packets, 1400-byte
 * payloads) into templates laid out as interleaved frames (`$`, channel, length, RTP header,
 * payload). Each send copies a template once, patches sequence numbers, timestamp and SSRC, and
 * stamps the access unit's first packet: a user-data-unregistered SEI NAL (ITU-T H.264 D.1.6) that
 * carries the frame's index and its send time on the monotonic clock (`process.hrtime`, shared by
 * every process on the machine). The client process measures delivery delay and lost frames from it.
 *
 * Usage (child of bench/many-sessions.ts): node build/bench/load/generator.js FILE.h264 [--fps 25]
 *   prints `READY <port>`, then serves until SIGTERM, when it prints one JSON line of its own
 *   statistics (CPU, frames sent, frames skipped because a TCP client did not read, send lateness).
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { loadH264 } from '../../src/testing/media-source.js';
import { Histogram } from './histogram.js';

/** The SEI's 16-byte UUID: `camstream-loadgen` in ASCII, truncated. */
export const STAMP_UUID = Buffer.from('camstream-loadge', 'latin1');
/** SEI NAL: header 06, payload type 5, size 16 + 15, UUID, 10 bytes time (7 bits each), 5 bytes index, rbsp trailing 80. */
const STAMP_PAYLOAD = 16 + 15;
export const STAMP_NAL_LENGTH = 3 + STAMP_PAYLOAD + 1;

/**
 * Reads a stamp written by `writeStamp` from an SEI NAL (starting at its header byte). Each stamp byte
 * has its high bit set, so the SEI never contains `00 00` (no emulation prevention needed).
 */
export function readStamp(nal: Uint8Array, at: number): { sentNs: bigint; index: number } | undefined {
  if (nal[at] !== 0x06 || nal[at + 1] !== 0x05 || nal[at + 2] !== STAMP_PAYLOAD) return undefined;
  for (let i = 0; i < 16; i++) if (nal[at + 3 + i] !== STAMP_UUID[i]) return undefined;
  let p = at + 19;
  let t = 0n;
  for (let i = 0; i < 10; i++) t = (t << 7n) | BigInt(nal[p++]! & 0x7f);
  let index = 0;
  for (let i = 0; i < 5; i++) index = index * 128 + (nal[p++]! & 0x7f);
  return { sentNs: t, index };
}

function writeStamp(buf: Buffer, at: number, sentNs: bigint, index: number): void {
  let p = at + 19 + 9;
  let t = sentNs;
  for (let i = 0; i < 10; i++) {
    buf[p--] = 0x80 | Number(t & 0x7fn);
    t >>= 7n;
  }
  p = at + 19 + 10 + 4;
  let x = index;
  for (let i = 0; i < 5; i++) {
    buf[p--] = 0x80 | (x & 0x7f);
    x = Math.floor(x / 128);
  }
}

// --- prepacketizing ------------------------------------------------------------------------------

const MAX_PAYLOAD = 1400;

interface Template {
  /** Interleaved frames for the whole access unit; RTP fields are patched per send. */
  bytes: Buffer;
  /** Offset of each packet's `$` in `bytes`. */
  packets: Int32Array;
  /** Offset of the stamp SEI's header byte. */
  stampAt: number;
}

function packetize(nalus: Uint8Array[]): Template {
  const payloads: Uint8Array[][] = [];
  const stamp = Buffer.alloc(STAMP_NAL_LENGTH);
  stamp[0] = 0x06;
  stamp[1] = 0x05;
  stamp[2] = STAMP_PAYLOAD;
  STAMP_UUID.copy(stamp, 3);
  stamp[STAMP_NAL_LENGTH - 1] = 0x80;
  payloads.push([stamp]);
  for (const n of nalus) {
    if (n.length <= MAX_PAYLOAD) {
      payloads.push([n]);
      continue;
    }
    // FU-A (RFC 6184 §5.8): indicator (F, NRI, type 28), header (S, E, type), fragment.
    const indicator = (n[0]! & 0xe0) | 28;
    const type = n[0]! & 0x1f;
    for (let off = 1; off < n.length; off += MAX_PAYLOAD - 2) {
      const end = Math.min(n.length, off + MAX_PAYLOAD - 2);
      const header = (off === 1 ? 0x80 : 0) | (end === n.length ? 0x40 : 0) | type;
      payloads.push([Uint8Array.of(indicator, header), n.subarray(off, end)]);
    }
  }
  let size = 0;
  for (const p of payloads) size += 16 + p.reduce((s, x) => s + x.length, 0);
  const bytes = Buffer.alloc(size);
  const packets = new Int32Array(payloads.length);
  let at = 0;
  payloads.forEach((parts, i) => {
    const len = 12 + parts.reduce((s, x) => s + x.length, 0);
    packets[i] = at;
    bytes[at] = 0x24;
    bytes[at + 1] = 0;
    bytes.writeUInt16BE(len, at + 2);
    bytes[at + 4] = 0x80;
    bytes[at + 5] = 96 | (i === payloads.length - 1 ? 0x80 : 0);
    let p = at + 16;
    for (const x of parts) {
      bytes.set(x, p);
      p += x.length;
    }
    at += 4 + len;
  });
  return { bytes, packets, stampAt: packets[0]! + 16 };
}

// --- sessions ------------------------------------------------------------------------------------

interface Session {
  id: string;
  conn: Socket;
  /** UDP: where the client's RTP port is (undefined: TCP interleaved on channel `channel`). */
  udp: { host: string; port: number } | undefined;
  channel: number;
  ssrc: number;
  seq: number;
  rtpBase: number;
  playing: boolean;
  /** Frame index (of the whole stream) and when it is due (ms, monotonic). */
  index: number;
  due: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const file = argv[0];
  if (!file) throw new Error('usage: generator.js FILE.h264 [--fps N]');
  const fpsArg = argv.indexOf('--fps');
  const fps = fpsArg >= 0 ? Number(argv[fpsArg + 1]) : 25;
  const src = loadH264(file, fps);
  const templates = src.units.map(packetize);
  const frameMs = 1000 / fps;
  const tsStep = Math.round(90000 / fps);
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
  const profile = Buffer.from(src.sps.subarray(1, 4)).toString('hex');

  const sessions = new Map<string, Session>();
  const playing = new Set<Session>();
  const stats = { framesSent: 0, framesSkipped: 0, bytesSent: 0, sessionsMax: 0 };
  const late = new Histogram();
  /** TCP: a client whose socket holds more than this is not reading: its frames are skipped. */
  const maxBacklog = 2 * 1024 * 1024;

  const rtp = createSocket('udp4');
  const rtcp = createSocket('udp4');
  await new Promise<void>((res) => rtp.bind(0, '127.0.0.1', res));
  // RTCP port: the one after RTP when free, else any (the SETUP answer names both).
  await new Promise<void>((res) => {
    rtcp.once('error', () => rtcp.bind(0, '127.0.0.1', res));
    rtcp.bind(rtp.address().port + 1, '127.0.0.1', res);
  });
  rtcp.on('message', () => undefined); // receiver reports: ignored
  rtp.on('message', () => undefined); // NAT punch packets: ignored
  rtp.on('error', () => undefined);

  const send = (s: Session, t: Template, sentNs: bigint): void => {
    const b = Buffer.allocUnsafe(t.bytes.length);
    t.bytes.copy(b);
    const ts = (s.rtpBase + s.index * tsStep) >>> 0;
    for (let i = 0; i < t.packets.length; i++) {
      const at = t.packets[i]!;
      b[at + 1] = s.channel;
      b.writeUInt16BE(s.seq, at + 6);
      s.seq = (s.seq + 1) & 0xffff;
      b.writeUInt32BE(ts, at + 8);
      b.writeUInt32BE(s.ssrc, at + 12);
    }
    writeStamp(b, t.stampAt, sentNs, s.index);
    if (s.udp) {
      const { host, port } = s.udp;
      for (let i = 0; i < t.packets.length; i++) {
        const at = t.packets[i]!;
        rtp.send(b.subarray(at + 4, at + 4 + b.readUInt16BE(at + 2)), port, host);
      }
    } else {
      s.conn.write(b);
    }
    stats.bytesSent += b.length;
  };

  /**
   * UDP: datagrams waiting in node:dgram's send queue past this mean the generator itself cannot keep
   * up: frames are skipped (counted) instead of queueing without bound.
   */
  const maxSendQueue = 8 * 1024 * 1024;
  /** A generator more than this behind its schedule skips frames (counted) rather than bursting them. */
  const maxBehindMs = 1000;

  /** One timer for all sessions: every tick sends each session's frames that are due. */
  const tick = (): void => {
    const t = now();
    for (const s of playing) {
      while (s.due <= t) {
        late.add(t - s.due);
        const behind = t - s.due > maxBehindMs;
        if (behind || (s.udp ? rtp.getSendQueueSize() > maxSendQueue : s.conn.writableLength > maxBacklog)) stats.framesSkipped++;
        else {
          send(s, templates[s.index % templates.length]!, process.hrtime.bigint());
          stats.framesSent++;
        }
        s.index++;
        s.due += frameMs;
      }
    }
  };
  setInterval(tick, 2);

  const server = createServer((conn) => {
    conn.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    const mine: Session[] = [];
    const stop = (): void => {
      for (const s of mine) {
        playing.delete(s);
        sessions.delete(s.id);
      }
    };
    conn.on('close', stop);
    conn.on('error', () => undefined);
    conn.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        if (buf.length === 0) return;
        if (buf[0] === 0x24) {
          // Interleaved RTCP from the client (receiver reports): skipped.
          if (buf.length < 4) return;
          const n = 4 + buf.readUInt16BE(2);
          if (buf.length < n) return;
          buf = buf.subarray(n);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > 65536) conn.destroy();
          return;
        }
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        answer(conn, head, mine);
      }
    });
  });

  let nextId = 1;
  const answer = (conn: Socket, head: string, mine: Session[]): void => {
    const lines = head.split('\r\n');
    const [method = '', url = ''] = lines[0]!.split(' ');
    const header = (name: string): string | undefined => {
      const l = lines.find((x) => x.toLowerCase().startsWith(name.toLowerCase() + ':'));
      return l?.slice(name.length + 1).trim();
    };
    const cseq = header('CSeq') ?? '0';
    const reply = (status: string, extra: string[] = [], body = ''): void => {
      const h = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...extra];
      if (body) h.push('Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`);
      conn.write(h.join('\r\n') + '\r\n\r\n' + body);
    };
    const base = url.replace(/\/track1$/, '').replace(/\/?$/, '/');
    const sess = (): Session | undefined => sessions.get((header('Session') ?? '').split(';')[0]!);
    switch (method) {
      case 'OPTIONS':
        return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER']);
      case 'GET_PARAMETER':
        return reply('200 OK');
      case 'DESCRIBE': {
        const sdp = [
          'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=camstream load generator', 'c=IN IP4 127.0.0.1', 't=0 0', 'a=control:*',
          'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
          `a=fmtp:96 packetization-mode=1;profile-level-id=${profile};sprop-parameter-sets=${b64(src.sps)},${b64(src.pps)}`,
          'a=control:track1', '',
        ].join('\r\n');
        return reply('200 OK', [`Content-Base: ${base}`], sdp);
      }
      case 'SETUP': {
        const tr = header('Transport') ?? '';
        const id = String(nextId++).padStart(8, '0');
        const s: Session = {
          id, conn, udp: undefined, channel: 0, ssrc: (Math.random() * 2 ** 32) >>> 0, seq: (Math.random() * 65536) | 0,
          rtpBase: (Math.random() * 2 ** 32) >>> 0, playing: false, index: 0, due: 0,
        };
        let answerTransport: string;
        const cp = /client_port=(\d+)(?:-(\d+))?/.exec(tr);
        if (/RTP\/AVP\/TCP/.test(tr)) {
          const il = /interleaved=(\d+)/.exec(tr);
          s.channel = il ? Number(il[1]) : 0;
          answerTransport = `RTP/AVP/TCP;unicast;interleaved=${s.channel}-${s.channel + 1};ssrc=${s.ssrc.toString(16).padStart(8, '0')}`;
        } else if (cp) {
          s.udp = { host: conn.remoteAddress!.replace(/^::ffff:/, ''), port: Number(cp[1]) };
          answerTransport = `RTP/AVP;unicast;client_port=${cp[1]}-${cp[2] ?? Number(cp[1]) + 1};server_port=${rtp.address().port}-${rtcp.address().port};ssrc=${s.ssrc.toString(16).padStart(8, '0')}`;
        } else return reply('461 Unsupported Transport');
        sessions.set(id, s);
        mine.push(s);
        stats.sessionsMax = Math.max(stats.sessionsMax, sessions.size);
        return reply('200 OK', [`Session: ${id};timeout=60`, `Transport: ${answerTransport}`]);
      }
      case 'PLAY': {
        const s = sess();
        if (!s) return reply('454 Session Not Found');
        reply('200 OK', [`Session: ${s.id}`, 'Range: npt=0.000-', `RTP-Info: url=${base}track1;seq=${s.seq};rtptime=${s.rtpBase >>> 0}`]);
        // Start on a keyframe: the template index is the stream index modulo the file.
        s.index = 0;
        s.due = now();
        s.playing = true;
        playing.add(s);
        return;
      }
      case 'TEARDOWN': {
        const s = sess();
        if (s) {
          playing.delete(s);
          sessions.delete(s.id);
        }
        return reply('200 OK');
      }
      default:
        return reply('501 Not Implemented');
    }
  };

  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  let cpu0 = process.cpuUsage();
  let t0 = now();
  // SIGUSR2 starts the measured window (the parent sends it once every session plays); SIGTERM
  // prints the window's statistics and ends.
  process.on('SIGUSR2', () => {
    cpu0 = process.cpuUsage();
    t0 = now();
    stats.framesSent = stats.framesSkipped = stats.bytesSent = 0;
    late.reset();
  });
  const q = (p: number): number => late.quantile(p);
  const report = (): void => {
    const c = process.cpuUsage(cpu0);
    process.stdout.write(
      JSON.stringify({
        cpuS: (c.user + c.system) / 1e6, wallS: (now() - t0) / 1000, framesSent: stats.framesSent, framesSkipped: stats.framesSkipped,
        bytesSent: stats.bytesSent, sessionsMax: stats.sessionsMax, lateP50Ms: q(0.5), lateP99Ms: q(0.99), templates: templates.length,
        largestUnit: Math.max(...templates.map((t) => t.bytes.length)), meanUnit: templates.reduce((s, t) => s + t.bytes.length, 0) / templates.length,
      }) + '\n',
    );
  };
  process.on('SIGTERM', () => {
    report();
    process.exit(0);
  });
}

if (process.argv[1]?.endsWith('generator.js')) await main();
