/**
 * VirtualHttpCamera: the HTTP side of the virtual camera. A loopback server answering the
 * vendor documents' HTTP endpoints byte for byte as the documents print them, from corpus/ media:
 *
 *   the WV-V series HTTP API V2.40 (HTTP/1.1, CRLF)                          the IP Camera Standard API 5.0.0 (HTTP/1.0, mixed CRLF / bare LF)
 *   /cgi-bin/mjpg/video.cgi        multipart JPEG      /            multipart JPEG (the :8008 stream)
 *   /cgi-bin/snapshot.cgi          image/jpeg          /cgi-bin/jpg/image.cgi  JPEG + "\r\n" after it
 *   /cgi-bin/eventManager.cgi      "-- myboundary "    /cgi-bin/admin/eventdata.cgi get|monitor
 *   /cgi-bin/realmonitor.cgi       DH (looping)        /cgi-bin/admin/param.cgi  root.* lines, bare LF
 *   /cgi-bin/playBack.cgi          streamId= + DH, control (pause/play/cancel really act)
 *   /cgi-bin/loadfile.cgi          .dav with Content-Length
 *   /cgi-bin/audio.cgi             getAudio (G.711A) / postAudio (bytes counted)
 *   /cgi-bin/magicBox.cgi, configManager.cgi   table.* lines
 *   /cgi-bin/mediaFileFind.cgi     finder handles and pages as the WV-V series HTTP API V2.40 §4.11.5 prints them
 *   /cgi-bin/admin/storagemanagement.cgi  list / download (the IP Camera Standard API 5.0.0 §5.1.5)
 *   anything else under /cgi-bin   HTTP 200 "Error\r\nErrorID=2, Detail=Invalid Request!" (the WV-V series HTTP API V2.40 §3.3)
 *
 * Authentication: Basic or Digest qop=auth with realm `DH_<mac>` (the WV-V series HTTP API V2.40 §3.5), via digest-server.ts.
 * One request per connection (every answer says Connection: close).
 */
import { listen, closeServer } from './listen.js';
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { HeadParser, type RequestHead } from '../message/head-parser.js';
import { MultipartParser } from '../multipart/multipart-parser.js';
import { boundaryFromContentType } from '../multipart/boundary.js';
import { DhDemuxer } from '../dh/dh-demuxer.js';
import { sampleRateIndex } from '../dh/codecs.js';
import type { DhFrame } from '../dh/types.js';
import { corpusPath } from './media-source.js';
import { DigestServer, type AuthMode } from './digest-server.js';
import { dhPacket, type MuxFrame } from './dh-muxer.js';

export interface VirtualHttpCameraOptions {
  host?: string;
  port?: number;
  auth?: AuthMode;
  username?: string;
  password?: string;
  /** the WV-V series HTTP API V2.40 §3.5: `DH_` + the device MAC. */
  realm?: string;
  /** MJPEG frames per second (default 25). */
  mjpegFps?: number;
  /** DH streams: 'realtime' paces video at the file's 25 fps times `speed`; 'fast' writes as fast as the socket takes. */
  pace?: 'realtime' | 'fast';
  speed?: number;
  /** Interval between event parts on the attach / monitor streams (default 100 ms). */
  eventIntervalMs?: number;
  /** DH file served by realmonitor (default corpus/dh/h264-g711a.dh). */
  realmonitorFile?: string;
  /** What mediaFileFind.cgi finds (default: the WV-V series HTTP API V2.40 §4.11.5 example item and two more). */
  recordings?: VirtualRecording[];
  /** Names storagemanagement.cgi lists; each downloads as the corpus .dav (default: the IP Camera Standard API 5.0.0 §5.1.5 example name and one more). */
  storedFiles?: string[];
}

/** One recording on the virtual camera's "disk", in the document's own words. */
export interface VirtualRecording {
  /** 1-based, as findFile's condition.Channel. */
  channel: number;
  /** `yyyy-m-d hh:mm:ss`, unpadded as the document writes it. */
  startTime: string;
  endTime: string;
  type: string;
  events: string[];
  videoStream: string;
  filePath: string;
  length: number;
  duration: number;
}

/** The WV-V series HTTP API V2.40 §4.11.5 findNextFile example item (its FilePath ends in .jpg for a dav: as printed). */
export const DOCUMENT_RECORDING: VirtualRecording = {
  channel: 1,
  startTime: '2011-1-1 12:00:00',
  endTime: '2011-1-1 13:00:00',
  type: 'dav',
  events: ['AlarmLocal'],
  videoStream: 'Main',
  filePath: '/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg',
  length: 790,
  duration: 3600,
};

const DEFAULT_RECORDINGS: VirtualRecording[] = [
  DOCUMENT_RECORDING,
  { channel: 1, startTime: '2011-1-1 13:00:00', endTime: '2011-1-1 14:00:00', type: 'dav', events: ['VideoMotion', 'AlarmLocal'], videoStream: 'Main', filePath: '/mnt/dvr/sda0/2011/1/1/dav/13.00.00-14.00.00[M][0@0][0].dav', length: 104857600, duration: 3600 },
  { channel: 2, startTime: '2011-1-2 8:30:00', endTime: '2011-1-2 9:00:00', type: 'mp4', events: ['VideoMotion'], videoStream: 'Extra1', filePath: '/mnt/dvr/sda1/2011/1/2/mp4/08.30.00-09.00.00[M][0@0][0].mp4', length: 52428800, duration: 1800 },
];

interface Finder {
  matches: VirtualRecording[];
  pos: number;
  closed: boolean;
}

/** `2011-1-1 12:00:00` (unpadded) to a comparable number, or NaN. */
function docTime(t: string | null): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec((t ?? '').trim());
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export interface VirtualHttpCameraStats {
  connections: number;
  requests: number;
  /** postAudio: audio bytes received (multipart framing excluded) and parts/bodies. */
  postAudioBytes: number;
  postAudioParts: number;
  /** Bytes the client wrote on event connections after its request (keepalive data). */
  keepaliveBytes: number;
}

interface PlaybackState {
  id: string;
  sock: Socket;
  playing: boolean;
  operateId: number;
  iframeOnly: boolean;
  index: number;
  /** Bytes written on this playback stream (tests watch it stop on pause). */
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

interface Conn {
  sock: Socket;
  timers: Set<NodeJS.Timeout>;
  closed: boolean;
}

const CRLF = '\r\n';
const BOUNDARY = 'myboundary';

/** Event lines of the attach stream; the third is sent with the WV-V series HTTP API V2.40's too-short Content-Length (38). */
const MD_ROWS = Array.from({ length: 18 }, (_, r) => (r % 3 === 0 ? 61708863 : 0)).join(',');
const ATTACH_SCRIPT: Array<{ code: string; text: string; declared?: number }> = [
  { code: 'VideoMotion', text: 'Code=VideoMotion; action=Start; index=0' },
  { code: 'VideoBlind', text: 'Code=VideoBlind; action=Start; index=0' },
  { code: 'MDResult', text: `Code= MDResult; action=Pulse; index=0; data=${MD_ROWS}`, declared: 38 },
  { code: 'VideoMotion', text: 'Code=VideoMotion; action=Stop; index=0' },
  { code: 'AlarmLocal', text: 'Code=AlarmLocal; action=Start; index=1' },
  { code: 'AlarmLocal', text: 'Code=AlarmLocal; action=Stop; index=1' },
];

/** the IP Camera Standard API 5.0.0 §5.4.2 monitor parts, text and declared Content-Length exactly as printed (74/75 for 78/79 bytes). */
const MONITOR_SCRIPT: Array<{ text: string; declared: number }> = [
  { text: 'Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; \r\nMotion1:Enabled=0; \r\n\r\n', declared: 74 },
  { text: 'Motion:Enabled=1;Level=15;Sensitivity=80;Triggered=0; \r\nMotion1:Enabled=0; \r\n\r\n', declared: 75 },
];

/** the IP Camera Standard API 5.0.0 §5.4.2 get: status lines per group. */
const EVENTDATA_GROUPS: Record<string, string> = {
  Motion: 'Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; ',
  Motion1: 'Motion1:Enabled=0; ',
  Motion2: 'Motion2:Enabled=1;Level=15;Sensitivity=80;Triggered=0;',
  IO: 'IO:Status=00000100000000;',
  T0: 'T0:Enabled=1;Triggered=0;',
  Face: 'Face:Enabled=1;H264_Face=2 0.5_0.4_0.2_0.3,0.8_0.1_0.2_0.3;H264_2_Face=2\n0.5_0.4_0.2_0.3,0.7_0.5_0.2_0.3',
};

function loadJpegs(): Buffer[] {
  const dir = corpusPath('jpeg');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => readFileSync(`${dir}/${f}`));
}

/** DH packets of a clean DH file (length at u32le @4, the WV-V series HTTP API V2.40 §7.1), for paced replay. */
function dhPackets(file: Buffer): Array<{ bytes: Buffer; video: boolean }> {
  const out: Array<{ bytes: Buffer; video: boolean }> = [];
  let i = 0;
  while (i + 24 <= file.length) {
    const len = file.readUInt32LE(i + 4);
    if (len < 24 || i + len > file.length) break;
    out.push({ bytes: file.subarray(i, i + len), video: file[i + 2] === 0x20 });
    i += len;
  }
  return out;
}

/** The frames of a DH file as muxer input, so playback can re-mux them with the current operateId. */
function muxFramesOf(file: Buffer): MuxFrame[] {
  const frames: DhFrame[] = [];
  const d = new DhDemuxer({ frame: (f) => frames.push(f) });
  d.push(file);
  d.end();
  return frames.map((f) => {
    const m: MuxFrame = { kind: f.kind, payload: f.payload, channel: f.channel, sequence: f.sequence, utc: Math.floor(f.time / 1000), utcms: f.time % 1000 };
    if (f.kind === 'video') {
      Object.assign(m, { videoType: f.meta.codecId >= 0 ? f.meta.codecId : 2, frameType: f.keyframe ? 1 : 2, width: f.width, height: f.height, fps: f.fps, iFrameInterval: f.meta.iFrameInterval ?? 0 });
    } else if (f.kind === 'audio') {
      Object.assign(m, { audioType: f.meta.codecId >= 0 ? f.meta.codecId : 8, tracks: f.channels || 1, freqIndex: sampleRateIndex(f.sampleRate || 8000) });
    }
    return m;
  });
}

function headText(status: string, headers: Array<[string, string | number]>, eol = CRLF, statusEol = CRLF): string {
  let s = status + statusEol;
  for (const [n, v] of headers) s += `${n}: ${v}${eol}`;
  return s + eol;
}

export class VirtualHttpCamera {
  readonly options: Required<Omit<VirtualHttpCameraOptions, 'port' | 'host' | 'realmonitorFile' | 'recordings' | 'storedFiles'>> & { host: string };
  readonly recordings: VirtualRecording[];
  readonly storedFiles: string[];
  /** mediaFileFind finders created and not destroyed yet (tests check every handle is released). */
  private readonly finders = new Map<string, Finder>();
  private findersCreated = 0;
  readonly stats: VirtualHttpCameraStats = { connections: 0, requests: 0, postAudioBytes: 0, postAudioParts: 0, keepaliveBytes: 0 };
  /** Request lines seen (`GET /cgi-bin/...`), credentials never included (they are not in request lines). */
  readonly requestLog: string[] = [];
  readonly digest: DigestServer;
  private server: Server | undefined;
  private readonly conns = new Set<Conn>();
  private readonly playbacks = new Map<string, PlaybackState>();
  private nextStreamId = 1;
  private listenPort: number;
  private readonly jpegs = loadJpegs();
  private readonly realmonitorPackets: Array<{ bytes: Buffer; video: boolean }>;
  private readonly playbackFrames: MuxFrame[];
  private readonly dav: Buffer;
  private readonly alaw: Buffer;

  constructor(opts: VirtualHttpCameraOptions = {}) {
    this.options = {
      host: opts.host ?? '127.0.0.1',
      auth: opts.auth ?? 'none',
      username: opts.username ?? 'admin',
      password: opts.password ?? 'admin',
      realm: opts.realm ?? 'DH_00408CA5EA04',
      mjpegFps: opts.mjpegFps ?? 25,
      pace: opts.pace ?? 'realtime',
      speed: opts.speed ?? 1,
      eventIntervalMs: opts.eventIntervalMs ?? 100,
    };
    this.listenPort = opts.port ?? 0;
    this.recordings = opts.recordings ?? DEFAULT_RECORDINGS;
    this.storedFiles = opts.storedFiles ?? ['A_20110101_010101.avi', 'M_20110102_083000.avi'];
    this.digest = new DigestServer({ mode: this.options.auth, username: this.options.username, password: this.options.password, realm: this.options.realm });
    const dh = readFileSync(opts.realmonitorFile ?? corpusPath('dh/h264-g711a.dh'));
    this.realmonitorPackets = dhPackets(dh);
    this.playbackFrames = muxFramesOf(readFileSync(corpusPath('dh/h264-g711a.dh')));
    this.dav = readFileSync(corpusPath('dh/h264-g711a.dav'));
    this.alaw = readFileSync(corpusPath('g711a-8k.alaw'));
  }

  get port(): number {
    return this.listenPort;
  }

  /** mediaFileFind finders not destroyed yet, and how many of them were not closed either. */
  get openFinders(): { created: number; open: number; unclosed: number } {
    let unclosed = 0;
    for (const f of this.finders.values()) if (!f.closed) unclosed++;
    return { created: this.findersCreated, open: this.finders.size, unclosed };
  }

  /** Number of open client connections. */
  get openConnections(): number {
    return this.conns.size;
  }

  /** An http:// URL for `path`, with the configured credentials unless `creds` is false. */
  url(path = '/', creds = true): string {
    const auth = creds && this.options.auth !== 'none' ? `${encodeURIComponent(this.options.username)}:${encodeURIComponent(this.options.password)}@` : '';
    return `http://${auth}${this.options.host}:${this.listenPort}${path}`;
  }

  /** Bytes written so far on playback stream `streamId` (undefined once it ended). */
  playbackBytes(streamId: string): number | undefined {
    return this.playbacks.get(streamId)?.bytes;
  }

  async start(): Promise<this> {
    // allowHalfOpen: a postAudio client half-closes to end its body and still reads the answer.
    const server = createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
    this.listenPort = await listen(server, this.options.host, this.listenPort);
    this.server = server;
    return this;
  }

  stop(): Promise<void> {
    for (const c of this.conns) this.closeConn(c);
    this.conns.clear();
    const server = this.server;
    this.server = undefined;
    return closeServer(server);
  }

  private closeConn(c: Conn): void {
    c.closed = true;
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
    c.sock.destroy();
  }

  private later(c: Conn, ms: number, fn: () => void): void {
    if (c.closed) return;
    const t = setTimeout(() => {
      c.timers.delete(t);
      if (!c.closed) fn();
    }, ms);
    c.timers.add(t);
  }

  private accept(sock: Socket): void {
    this.stats.connections++;
    sock.setNoDelay(true);
    const c: Conn = { sock, timers: new Set(), closed: false };
    this.conns.add(c);
    const parser = new HeadParser();
    let onBody: ((b: Uint8Array) => void) | undefined;
    let onEnd: (() => void) | undefined;
    let gotHead = false;
    sock.on('data', (d: Buffer) => {
      if (gotHead) return onBody?.(d);
      let r;
      try {
        r = parser.push(d);
      } catch {
        return this.closeConn(c);
      }
      if (!r) return;
      gotHead = true;
      if (r.head.kind !== 'request') return this.closeConn(c);
      const h = this.handle(c, r.head);
      onBody = h?.body;
      onEnd = h?.end;
      if (r.rest.length > 0) onBody?.(r.rest);
    });
    sock.on('end', () => (onEnd ? onEnd() : c.sock.end()));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.conns.delete(c);
      this.closeConn(c);
      for (const [id, p] of this.playbacks) {
        if (p.sock === sock) {
          if (p.timer) clearTimeout(p.timer);
          this.playbacks.delete(id);
        }
      }
    });
  }

  private write(c: Conn, data: string | Uint8Array): boolean {
    if (c.closed || c.sock.destroyed) return false;
    return c.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** A complete answer, then close. */
  private answer(c: Conn, status: string, headers: Array<[string, string | number]>, body: string | Uint8Array, o: { http10?: boolean; bareLf?: boolean; trailer?: string } = {}): void {
    const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    const proto = o.http10 ? 'HTTP/1.0' : 'HTTP/1.1';
    const head = headText(`${proto} ${status}`, [...headers, ['Content-Length', b.length], ...(o.http10 ? [] : ([['Connection', 'close']] as Array<[string, string]>))], o.bareLf ? '\n' : CRLF);
    this.write(c, head);
    this.write(c, b);
    if (o.trailer) this.write(c, o.trailer);
    c.sock.end();
  }

  /** the WV-V series HTTP API V2.40 §3.3: an application error is an HTTP 200 with an `Error` body. */
  private cameraError(c: Conn, id: number, detail: string): void {
    this.answer(c, '200 OK', [['Content-Type', 'text/plain;charset=utf-8']], `Error${CRLF}ErrorID=${id}, Detail=${detail}${CRLF}`);
  }

  private handle(c: Conn, req: RequestHead): { body?: (b: Uint8Array) => void; end?: () => void } | undefined {
    this.stats.requests++;
    this.requestLog.push(`${req.method} ${req.uri}`);
    const verdict = this.digest.check(req.method, req.headers.get('authorization'));
    if (verdict !== 'ok') {
      const challenges = this.digest.challenges(verdict === 'stale');
      this.answer(c, '401 Unauthorized', challenges.map((v) => ['WWW-Authenticate', v] as [string, string]), '');
      return undefined;
    }
    const u = new URL(req.uri, 'http://camera');
    const q = u.searchParams;
    const action = q.get('action') ?? '';
    switch (u.pathname) {
      case '/':
        return this.mjpeg(c, true), undefined;
      case '/cgi-bin/mjpg/video.cgi':
        return this.mjpeg(c, false), undefined;
      case '/cgi-bin/snapshot.cgi':
        return this.answer(c, '200 OK', [['Content-Type', 'image/jpeg']], this.jpegs[0]!), undefined;
      case '/cgi-bin/jpg/image.cgi':
        // the IP Camera Standard API 5.0.0 §5.2.1: HTTP/1.0, and "\r\n" after the JPEG data (beyond Content-Length).
        return this.answer(c, '200 OK', [['Content-Type', 'image/jpeg']], this.jpegs[1]!, { http10: true, trailer: CRLF }), undefined;
      case '/cgi-bin/eventManager.cgi':
        if (action !== 'attach') return this.cameraError(c, 4, 'Request invalid param!'), undefined;
        return this.attach(c, q.get('codes') ?? '', q.get('keepalive'));
      case '/cgi-bin/admin/eventdata.cgi':
        if (action === 'get') return this.eventDataGet(c, q.get('group')), undefined;
        if (action === 'monitor') return this.eventDataMonitor(c), undefined;
        return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], '# Error: unknown action\n', { http10: true, bareLf: true }), undefined;
      case '/cgi-bin/admin/param.cgi':
        // the IP Camera Standard API 5.0.0 §5.1.1.3: status line with CRLF, then bare-LF header lines and body.
        this.write(c, 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\n\n');
        this.write(c, q.get('group') === 'Bogus' ? '# Error: Error -1 getting param in group Bogus\n' : 'root.Network.IPAddress=192.168.0.250\nroot.Network.SubnetMask=255.255.255.0\n');
        c.sock.end();
        return undefined;
      case '/cgi-bin/magicBox.cgi':
        if (action === 'getProductDefinition') return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `table.MaxExtraStream=1${CRLF}`), undefined;
        if (action === 'getSystemInfo') return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `deviceType=IPC-HDW4300C${CRLF}serialNumber=ZE00408CA5EA04${CRLF}`), undefined;
        return this.cameraError(c, 3, 'Method not found!'), undefined;
      case '/cgi-bin/configManager.cgi':
        return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `table.Encode[0].MainFormat[0].Video.FPS=25${CRLF}table.Encode[0].MainFormat[0].Video.Compression=H.264${CRLF}`), undefined;
      case '/cgi-bin/realmonitor.cgi':
        if (action !== 'getStream') return this.cameraError(c, 4, 'Request invalid param!'), undefined;
        return this.realmonitor(c), undefined;
      case '/cgi-bin/playBack.cgi':
        if (action === 'getStream') return this.playbackStream(c), undefined;
        if (action === 'control') return this.playbackControl(c, q), undefined;
        return this.cameraError(c, 4, 'Request invalid param!'), undefined;
      case '/cgi-bin/loadfile.cgi':
        if (action !== 'startLoad' || !q.get('startTime') || !q.get('endTime')) return this.cameraError(c, 4, 'Request invalid param!'), undefined;
        return this.answer(c, '200 OK', [['Content-Type', 'Application/octet-stream']], this.dav), undefined;
      case '/cgi-bin/mediaFileFind.cgi':
        return this.mediaFileFind(c, action, q), undefined;
      case '/cgi-bin/admin/storagemanagement.cgi':
        return this.storage(c, action, q.get('filename')), undefined;
      case '/cgi-bin/audio.cgi':
        if (action === 'getAudio') return this.getAudio(c, q.get('httptype') === 'multipart'), undefined;
        if (action === 'postAudio' && req.method === 'POST') return this.postAudio(c, req);
        return this.cameraError(c, 4, 'Request invalid param!'), undefined;
      default:
        if (u.pathname.startsWith('/cgi-bin/')) return this.cameraError(c, 2, 'Invalid Request!'), undefined;
        return this.answer(c, '404 Not Found', [['Content-Type', 'text/plain']], 'Not Found\r\n'), undefined;
    }
  }

  /** the WV-V series HTTP API V2.40 §4.11.5, answers as printed there (see the item layout in findNextFile). */
  private mediaFileFind(c: Conn, action: string, q: URLSearchParams): void {
    const text = (body: string): void => this.answer(c, '200 OK', [['Content-Type', 'text/plain']], body);
    if (action === 'factory.create') {
      // The first id is the document's own example; later ones keep its other example's leading zero.
      const id = this.findersCreated === 0 ? '2086170840' : String(8136 + this.findersCreated).padStart(5, '0');
      this.findersCreated++;
      this.finders.set(id, { matches: [], pos: 0, closed: false });
      return text(`result= ${id}${CRLF}`);
    }
    const f = this.finders.get(q.get('object') ?? '');
    if (!f) return this.cameraError(c, 4, 'Request invalid param!');
    switch (action) {
      case 'findFile': {
        const channel = Number(q.get('condition.Channel'));
        const from = docTime(q.get('condition.StartTime'));
        const to = docTime(q.get('condition.EndTime'));
        if (!Number.isInteger(channel) || channel < 1 || Number.isNaN(from) || Number.isNaN(to)) return this.cameraError(c, 4, 'Request invalid param!');
        const list = (name: string): string[] => [...q.entries()].filter(([k]) => k.startsWith(`condition.${name}[`)).map(([, v]) => v);
        const types = list('Types');
        const events = list('Events');
        const stream = q.get('condition.VideoStream');
        f.matches = this.recordings.filter(
          (r) =>
            r.channel === channel &&
            docTime(r.endTime) > from &&
            docTime(r.startTime) < to &&
            (types.length === 0 || types.includes(r.type)) &&
            (events.length === 0 || r.events.some((e) => events.includes(e))) &&
            (stream === null || r.videoStream === stream),
        );
        f.pos = 0;
        // "If files exist, return OK, else return Error."
        return text(f.matches.length > 0 ? `OK${CRLF}` : `Error${CRLF}`);
      }
      case 'findNextFile': {
        const count = Number(q.get('count'));
        if (!Number.isInteger(count) || count < 1 || count > 100) return this.cameraError(c, 4, 'Request invalid param!');
        const page = f.matches.slice(f.pos, f.pos + count);
        f.pos += page.length;
        let body = `found=${page.length}${CRLF}`;
        page.forEach((r, i) => {
          const it = `items[${i}]. `;
          // Spacing exactly as the document's example: a leading space on the first line, spaces before '='.
          body += ` ${it}Channel =${r.channel}${CRLF}${it}StartTime =${r.startTime}${CRLF}${it}EndTime =${r.endTime}${CRLF}${it}Type =${r.type}${CRLF}`;
          r.events.forEach((e, k) => (body += `${it}Events[${k}]=${e}${CRLF}`));
          body += `${it}VideoStream=${r.videoStream}${CRLF}${it}FilePath =${r.filePath}${CRLF}${it}Length =${r.length}${CRLF}${it}Duration = ${r.duration}${CRLF}`;
        });
        return text(body);
      }
      case 'close':
        f.closed = true;
        return text(`OK${CRLF}`);
      case 'destroy':
        this.finders.delete(q.get('object')!);
        return text(`OK${CRLF}`);
      default:
        return this.cameraError(c, 3, 'Method not found!');
    }
  }

  /** the IP Camera Standard API 5.0.0 §5.1.5 (HTTP/1.0, the status line with CRLF and the rest bare LF, as its §5.1.4 answer). */
  private storage(c: Conn, action: string, filename: string | null): void {
    const text = (body: string): void => {
      this.write(c, `HTTP/1.0 200 OK\r\nContent-Type: text/plain\n\n${body}`);
      c.sock.end();
    };
    if (action === 'list') return text(this.storedFiles.map((n) => `${n}\n`).join(''));
    if (action === 'download') {
      if (filename === null || !this.storedFiles.includes(filename)) return text(`# Error: no such file ${filename ?? ''}\n`);
      return this.answer(c, '200 OK', [['Content-Type', 'application/octet-stream']], this.dav, { http10: true });
    }
    // format and remove would destroy recordings: the virtual camera refuses them.
    return text(`# Error: action ${action} is not available\n`);
  }

  /** Runs `step` every `ms`, waiting for 'drain' when the client pushes back. */
  private paced(c: Conn, ms: number, step: () => boolean): void {
    const tick = (): void => {
      if (c.closed) return;
      if (!step()) return;
      if (c.sock.writableNeedDrain) c.sock.once('drain', () => this.later(c, ms, tick));
      else this.later(c, ms, tick);
    };
    this.later(c, 0, tick);
  }

  private mjpeg(c: Conn, seed000: boolean): void {
    const proto = seed000 ? 'HTTP/1.0' : 'HTTP/1.1';
    this.write(c, headText(`${proto} 200 OK`, [['Content-Type', `multipart/x-mixed-replace; boundary=${BOUNDARY}`], ['Cache-Control', 'no-cache']]));
    let i = 0;
    this.paced(c, 1000 / this.options.mjpegFps, () => {
      const jpeg = this.jpegs[i++ % this.jpegs.length]!;
      // the WV-V series HTTP API V2.40 §4.2.1 part layout.
      this.write(c, `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
      this.write(c, jpeg);
      this.write(c, CRLF);
      return true;
    });
  }

  private attach(c: Conn, codesParam: string, keepalive: string | null): { body: (b: Uint8Array) => void } {
    const codes = codesParam.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim());
    const all = codes.some((x) => /^all$/i.test(x));
    const script = ATTACH_SCRIPT.filter((e) => all || codes.includes(e.code));
    // the WV-V series HTTP API V2.40 §4.9.17 head, byte for byte.
    this.write(
      c,
      'HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nExpires: Thu, 01 Dec 2099 16:00:00 GMT\r\nConnection: close\r\n' +
        `Content-Type: multipart/x-mixed-replace; boundary=${BOUNDARY}\r\n\r\n`,
    );
    const part = (text: string, declared?: number): void => {
      // "-- myboundary " delimiter, no blank line after the part headers, "\r\n\r\n" after the body.
      const body = Buffer.from(text, 'utf8');
      this.write(c, `-- ${BOUNDARY} \r\nContent-Type: text/plain\r\nContent-Length: ${declared ?? body.length}\r\n`);
      this.write(c, body);
      this.write(c, '\r\n\r\n');
    };
    let i = 0;
    if (script.length > 0) {
      this.paced(c, this.options.eventIntervalMs, () => {
        const e = script[i++ % script.length]!;
        part(e.text, e.declared);
        return true;
      });
    }
    const ka = keepalive !== null ? Number(keepalive) : NaN;
    if (Number.isFinite(ka) && ka > 0) this.paced(c, ka * 1000, () => (part('Heartbeat'), true));
    return { body: (b) => void (this.stats.keepaliveBytes += b.length) };
  }

  private eventDataGet(c: Conn, group: string | null): void {
    const groups = (group ?? 'Motion').split(',').map((g) => g.trim());
    let text = '';
    for (const g of groups) {
      const line = EVENTDATA_GROUPS[g];
      if (line !== undefined) text += line + CRLF;
    }
    if (text.length === 0) text = `# Error: unknown group ${groups.join(',')}\n`;
    this.answer(c, '200 OK', [['Content-type', 'text/plain']], text, { http10: true });
  }

  private eventDataMonitor(c: Conn): void {
    // the IP Camera Standard API 5.0.0 §5.4.2: "Content-type" and ";boundary=" without a space.
    this.write(c, 'HTTP/1.0 200 OK\r\nContent-type: multipart/x-mixed-replace;boundary=<boundary>\r\n\r\n');
    let i = 0;
    this.paced(c, this.options.eventIntervalMs, () => {
      const p = MONITOR_SCRIPT[i++ % MONITOR_SCRIPT.length]!;
      this.write(c, `--<boundary>\r\nContent-Type: text/plain\r\nContent-Length: ${p.declared}\r\n\r\n${p.text}`);
      return true;
    });
  }

  private streamHead(c: Conn): void {
    // the WV-V series HTTP API V2.40 §4.2.2/§4.2.3: no length, the body runs until the connection closes.
    this.write(c, 'HTTP/1.1 200 OK\r\nContent-Type: Application/octet-stream\r\nConnection: close\r\n\r\n');
  }

  /** Video frame interval for DH streams. */
  private get frameMs(): number {
    return this.options.pace === 'fast' ? 0 : 40 / this.options.speed;
  }

  private realmonitor(c: Conn): void {
    this.streamHead(c);
    const packets = this.realmonitorPackets;
    let i = 0;
    this.paced(c, this.frameMs, () => {
      // One video packet per tick, with the audio packets that precede it.
      for (let budget = 64; budget > 0; budget--) {
        const p = packets[i++ % packets.length]!;
        this.write(c, p.bytes);
        if (p.video) break;
      }
      return true;
    });
  }

  private playbackStream(c: Conn): void {
    const id = String(this.nextStreamId++);
    const st: PlaybackState = { id, sock: c.sock, playing: true, operateId: 0, iframeOnly: false, index: 0, bytes: 0, timer: undefined };
    this.playbacks.set(id, st);
    this.streamHead(c);
    const pre = `streamId=${id}\r\n`;
    st.bytes += pre.length;
    this.write(c, pre);
    this.playbackTick(c, st);
  }

  private playbackTick(c: Conn, st: PlaybackState): void {
    if (c.closed || !st.playing || st.timer) return;
    const frames = this.playbackFrames;
    const step = (): void => {
      st.timer = undefined;
      if (c.closed || !st.playing) return;
      for (let budget = 64; budget > 0; budget--) {
        if (st.index >= frames.length) {
          // End of the recording: the camera closes the stream.
          c.sock.end();
          return;
        }
        const f = frames[st.index++]!;
        if (st.iframeOnly && (f.kind !== 'video' || f.frameType !== 1)) continue;
        // the WV-V series HTTP API V2.40 §4.2.4: after a control command the extend headers carry its operateId.
        const pkt = dhPacket({ ...f, operateId: st.operateId });
        st.bytes += pkt.length;
        this.write(c, pkt);
        if (f.kind === 'video') break;
      }
      const again = (): void => {
        if (!st.timer && st.playing && !c.closed) st.timer = setTimeout(step, this.frameMs);
      };
      if (c.sock.writableNeedDrain) c.sock.once('drain', again);
      else again();
    };
    st.timer = setTimeout(step, 0);
  }

  private playbackControl(c: Conn, q: URLSearchParams): void {
    const st = this.playbacks.get(q.get('streamId') ?? '');
    if (!st) return this.cameraError(c, 4, 'Request invalid param!');
    const owner = [...this.conns].find((x) => x.sock === st.sock);
    switch (q.get('cmd')) {
      case 'play': {
        st.operateId++;
        st.iframeOnly = q.get('iframe') === '1';
        const seek = q.get('seekTime');
        if (seek !== null) st.index = 0; // the replayed file is short: any seek restarts it
        st.playing = true;
        if (owner) this.playbackTick(owner, st);
        return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `OK${CRLF}operateId=${st.operateId}${CRLF}`);
      }
      case 'pause':
        st.playing = false;
        if (st.timer) clearTimeout(st.timer);
        st.timer = undefined;
        return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `OK${CRLF}`);
      case 'cancel':
        st.playing = false;
        if (st.timer) clearTimeout(st.timer);
        this.playbacks.delete(st.id);
        st.sock.end();
        return this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `OK${CRLF}`);
      default:
        return this.cameraError(c, 4, 'Request invalid param!');
    }
  }

  private getAudio(c: Conn, multipart: boolean): void {
    // the WV-V series HTTP API V2.40 §4.3.4: 800-byte parts (100 ms of G.711A) or a continuous flow.
    const per = multipart ? 800 : 320;
    const ms = this.options.pace === 'fast' ? 0 : (per / 8000) * 1000;
    this.write(c, headText('HTTP/1.1 200 OK', [['Content-Type', multipart ? `multipart/x-mixed-replace; boundary=${BOUNDARY}` : 'Audio/G.711A'], ['Connection', 'close']]));
    let off = 0;
    this.paced(c, ms, () => {
      if (off + per > this.alaw.length) off = 0;
      const data = this.alaw.subarray(off, off + per);
      off += per;
      if (multipart) {
        this.write(c, `--${BOUNDARY}\r\nContent-Type: Audio/G.711A\r\nContent-Length: ${per}\r\n\r\n`);
        this.write(c, data);
        this.write(c, CRLF);
      } else this.write(c, data);
      return true;
    });
  }

  private postAudio(c: Conn, req: RequestHead): { body: (b: Uint8Array) => void; end: () => void } {
    const ct = req.headers.get('content-type') ?? '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.answer(c, '200 OK', [['Content-Type', 'text/plain']], `OK${CRLF}`);
    };
    if (/^multipart\//i.test(ct)) {
      const parser = new MultipartParser(boundaryFromContentType(ct), {
        part: (p) => {
          this.stats.postAudioBytes += p.body.length;
          this.stats.postAudioParts++;
        },
      });
      return {
        body: (b) => {
          if (done) return;
          parser.push(b);
          if (parser.done) finish();
        },
        end: () => {
          parser.end();
          finish();
        },
      };
    }
    // the WV-V series HTTP API V2.40 §4.3.3 singlepart: Content-Length 9999999 and a flow of audio until the client stops.
    const declared = Number(req.headers.get('content-length') ?? 'NaN');
    let got = 0;
    if (declared === 0) finish();
    return {
      body: (b) => {
        if (done) return;
        const n = Number.isFinite(declared) ? Math.min(b.length, declared - got) : b.length;
        got += n;
        this.stats.postAudioBytes += n;
        if (got >= declared) finish();
      },
      end: finish,
    };
  }
}
