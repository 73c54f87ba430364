/**
 * VirtualCamera: an RTSP server on loopback that replays corpus/ media the way real cameras do,
 * quirks included, so the client (and users' code) can be tested with no camera around. Used by
 * the test suite, by `camstream demo`, and exported as `camstream/testing`.
 *
 * Transports (RFC 2326 §12.39): TCP interleaved, UDP unicast (RTP from its own server_port pair to
 * the client's client_port pair, from the address of the RTSP connection only), UDP multicast (to a
 * group of its own, `ttl=1`), and RTSP over HTTP tunnels (the QuickTime GET + POST pair, on the
 * same port). `transports` turns each off, so a TCP-only camera (UDP SETUP -> 461) is one option.
 * Every quirk is a named switch; each cites docs/camera-quirks.md.
 */
import { listen, closeServer } from './listen.js';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { RtspStreamParser, type RtspMessage } from '../rtsp/rtsp-parser.js';
import { encodeResponse, encodeInterleaved, encodeRequest } from '../rtsp/encode.js';
import { parseTransports, type TransportSpec } from '../rtsp/headers.js';
import { buildRtpPacket } from '../rtp/rtp-packet.js';
import { H264Packetizer } from '../codec/h264/packetizer.js';
import type { RequestHead } from '../message/head-parser.js';
import { loadG711, loadH264, type H264Source } from './media-source.js';
import { SEED000_SDP } from './seed-fixtures.js';
import { DigestServer } from './digest-server.js';
import { Base64StreamDecoder } from '../transport/http-tunnel.js';

export interface RtspQuirks {
  /** Response heads end lines with bare LF (the IP Camera Standard API 5.0.0 shows mixed line ends). */
  bareLf: boolean;
  /** DESCRIBE answers the IP Camera Standard API 5.0.0's SDP verbatim: packetization-mode=28, PCMU audio, 1080p sprop. */
  seed000Sdp: boolean;
  /** Dahua: Content-Base keeps the query string plus a trailing '/' (docs/camera-quirks.md #2). */
  dahuaContentBase: boolean;
  /** RTP arrives before the PLAY response (Reolink, docs/camera-quirks.md #14). */
  dataBeforePlayResponse: boolean;
  /** The server ignores the requested interleaved channels and picks its own (docs/camera-quirks.md #15). */
  serverChosenChannels: boolean;
  /** The marker bit is never set (FLIR M400, docs/camera-quirks.md #12). */
  noMarker: boolean;
  /** The marker bit is also set on SPS/PPS packets (Tapo TC70, Reolink Duo 2, docs/camera-quirks.md #12). */
  markerOnParameterSets: boolean;
  /** The server sends its own requests (OPTIONS / GET_PARAMETER) mid-stream (RFC 2326 §10). */
  serverRequests: boolean;
  /** Interleaved RTCP sender reports every second (default on). */
  rtcp: boolean;
  /** Responses spell the header `Cseq:` (VLC, docs/camera-quirks.md #20/23). */
  cseqSpelling: boolean;
  /** RTP-Info with bogus seq=0 (Hikvision DS-2CD2032-I, docs/camera-quirks.md #16). */
  bogusRtpInfo: boolean;
  /** Public does not list GET_PARAMETER: keepalive must use OPTIONS. */
  noGetParameter: boolean;
  /** Data on an interleaved channel that was never set up (moonfire-nvr #213, docs/camera-quirks.md #14). */
  strayChannel: boolean;
  /** RTP over UDP only: a TCP SETUP is answered 461 (VLC's RTSP server, docs/camera-quirks.md #23). */
  udpOnly: boolean;
}

export const NO_QUIRKS: RtspQuirks = {
  bareLf: false,
  seed000Sdp: false,
  dahuaContentBase: false,
  dataBeforePlayResponse: false,
  serverChosenChannels: false,
  noMarker: false,
  markerOnParameterSets: false,
  serverRequests: false,
  rtcp: true,
  cseqSpelling: false,
  bogusRtpInfo: false,
  noGetParameter: false,
  strayChannel: false,
  udpOnly: false,
};

export interface RtspFaults {
  /** After this many RTP packets, write half an interleaved frame and close the connection. */
  closeMidFrameAfter?: number;
  /** After this many RTP packets, stop sending and stop answering (a stalled camera). */
  stallAfter?: number;
  /** After this many RTP packets, write this many bytes of garbage into the stream, then go on. */
  garbageAfter?: number;
  garbageBytes?: number;
  /** PLAY is answered 454 Session Not Found (the session expired or was lost server-side). */
  forgetSessionBeforePlay?: boolean;
  /** UDP SETUP is accepted but no datagram ever leaves (a firewall between camera and client). */
  udpBlackhole?: boolean;
  /** From this access unit on, every track's RTP clock is `clockJumpSeconds` ahead (cameras send frames hours off). */
  clockJumpAt?: number;
  /** Default 3 hours. */
  clockJumpSeconds?: number;
  /** From this access unit on, every track's RTP clock restarts at 0 (a camera restarting its clock). */
  clockRestartAt?: number;
}

export interface VirtualCameraOptions {
  host?: string;
  port?: number;
  /** 'none', 'basic', 'digest' (qop=auth, like the WV-V series HTTP API V2.40), 'digest-noqop' (GStreamer), 'both' (Basic then Digest). */
  auth?: 'none' | 'basic' | 'digest' | 'digest-noqop' | 'both';
  username?: string;
  password?: string;
  realm?: string;
  /** 'realtime' paces frames at the file's fps; 'fast' writes as fast as the socket takes them. */
  pace?: 'realtime' | 'fast';
  /** Replay the file in a loop (default true); otherwise the stream stops after one pass. */
  loop?: boolean;
  /** Serve a PCMU audio track too (always on with the seed000Sdp quirk). */
  audio?: boolean;
  /** Session timeout announced in the Session header, seconds (default 60). */
  sessionTimeout?: number;
  /** Close sessions that send no request for sessionTimeout seconds (like cameras that enforce it). */
  enforceTimeout?: boolean;
  quirks?: Partial<RtspQuirks>;
  faults?: RtspFaults;
  /** RTP payload size limit (default 1400). */
  maxPayloadSize?: number;
  h264?: H264Source;
  /**
   * What SETUP accepts (default every one). A transport left out is answered 461 Unsupported
   * Transport; `'http'` left out makes tunnel GET/POST answer 405.
   */
  transports?: readonly VirtualCameraTransport[];
  /** Multicast group and RTP port (even) for `multicast` SETUPs (default 239.255.42.x, a random even port). */
  multicast?: { group?: string; port?: number };
}

export type VirtualCameraTransport = 'tcp' | 'udp' | 'multicast' | 'http';

export interface VirtualCameraStats {
  connections: number;
  requests: Record<string, number>;
  rtpPackets: number;
  rtcpPackets: number;
  bytes: number;
  /** Access units sent (the video track). */
  units: number;
  receivedInterleaved: number;
  /** Datagrams received on the camera's UDP ports (the client's RTCP, NAT punches). */
  receivedDatagrams: number;
}

const VIDEO_PT = 96;
/** the IP Camera Standard API 5.0.0 announces H.264 as payload type 99. */
const SEED000_VIDEO_PT = 99;
const AUDIO_PT = 0;
const CLOCK = 90000;

interface Track {
  kind: 'video' | 'audio';
  control: string;
  channel: number;
  ssrc: number;
  /** Next sequence number (audio; video reads its packetizer's). */
  seq: number;
  rtpBase: number;
  packetizer: H264Packetizer | undefined;
  /** UDP unicast: where RTP and RTCP go. Multicast: the group. Undefined: interleaved. */
  udp?: { address: string; rtpPort: number; rtcpPort: number };
}

class Session {
  readonly id = randomBytes(6).toString('hex').toUpperCase();
  readonly tracks: Track[] = [];
  playing = false;
  timer: NodeJS.Timeout | undefined;
  unitIndex = 0;
  loops = 0;
  audioOffset = 0;
  startedAt = 0;
  sentPackets = 0;
  lastRequest = Date.now();
  nextRtcp = 0;
  stalled = false;
  /** Order of creation (multicast ports). */
  index = 0;
}

export class VirtualCamera {
  readonly options: Required<Omit<VirtualCameraOptions, 'faults' | 'quirks' | 'h264' | 'port' | 'host' | 'transports' | 'multicast'>> & { host: string };
  readonly quirks: RtspQuirks;
  readonly faults: RtspFaults;
  readonly stats: VirtualCameraStats = { connections: 0, requests: {}, rtpPackets: 0, rtcpPackets: 0, bytes: 0, units: 0, receivedInterleaved: 0, receivedDatagrams: 0 };
  readonly transports: ReadonlySet<VirtualCameraTransport>;
  /** Multicast group and RTP port this camera sends multicast sessions to. */
  readonly multicastGroup: string;
  readonly multicastPort: number;
  /** The camera's own RTP/RTCP sockets (UDP unicast and multicast), bound at start. */
  private udp: { rtp: DgramSocket; rtcp: DgramSocket; rtpPort: number; rtcpPort: number } | undefined;
  /** Every request line seen, in order (`DESCRIBE rtsp://...`), for tests and the demo log. */
  readonly requestLog: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Session>();
  /** RTSP-over-HTTP tunnels waiting for (or fed by) their POST, by x-sessioncookie. */
  private readonly tunnels = new Map<string, RtspStreamParser>();
  private readonly media: H264Source;
  private readonly audio: Uint8Array | undefined;
  private readonly digest: DigestServer;
  private listenPort: number;
  private sessionCount = 0;

  constructor(opts: VirtualCameraOptions = {}) {
    this.quirks = { ...NO_QUIRKS, ...opts.quirks };
    this.faults = opts.faults ?? {};
    this.options = {
      host: opts.host ?? '127.0.0.1',
      auth: opts.auth ?? 'none',
      username: opts.username ?? 'admin',
      password: opts.password ?? 'admin',
      realm: opts.realm ?? 'DH_00408CA5EA04',
      pace: opts.pace ?? 'realtime',
      loop: opts.loop ?? true,
      audio: opts.audio ?? this.quirks.seed000Sdp,
      sessionTimeout: opts.sessionTimeout ?? 60,
      enforceTimeout: opts.enforceTimeout ?? false,
      maxPayloadSize: opts.maxPayloadSize ?? 1400,
    };
    this.listenPort = opts.port ?? 0;
    this.transports = new Set(opts.transports ?? (this.quirks.udpOnly ? ['udp', 'multicast'] : ['tcp', 'udp', 'multicast', 'http']));
    this.multicastGroup = opts.multicast?.group ?? `239.255.42.${1 + randomBytes(1)[0]! % 250}`;
    this.multicastPort = opts.multicast?.port ?? 40000 + 2 * (randomBytes(2).readUInt16BE(0) % 10000);
    this.media = opts.h264 ?? loadH264();
    this.audio = this.options.audio ? loadG711() : undefined;
    this.digest = new DigestServer({ mode: this.options.auth, username: this.options.username, password: this.options.password, realm: this.options.realm });
  }

  get port(): number {
    return this.listenPort;
  }

  /** An rtsp:// URL for `path` on this camera, with the configured credentials unless `creds` is false. */
  url(path = '/cam/realmonitor?channel=1&subtype=0', creds = true): string {
    const auth = creds && this.options.auth !== 'none' ? `${encodeURIComponent(this.options.username)}:${encodeURIComponent(this.options.password)}@` : '';
    return `rtsp://${auth}${this.options.host}:${this.listenPort}${path}`;
  }

  async start(): Promise<this> {
    const server = createServer((sock) => this.accept(sock));
    this.listenPort = await listen(server, this.options.host, this.listenPort);
    this.server = server;
    if (this.transports.has('udp') || this.transports.has('multicast')) {
      const family = this.options.host.includes(':') ? 'udp6' : 'udp4';
      const rtp = createSocket(family);
      const rtcp = createSocket(family);
      rtp.bind(0, this.options.host);
      rtcp.bind(0, this.options.host);
      await Promise.all([once(rtp, 'listening'), once(rtcp, 'listening')]);
      for (const s of [rtp, rtcp]) {
        s.on('message', () => this.stats.receivedDatagrams++);
        s.on('error', () => undefined);
        if (family === 'udp4') {
          // Multicast leaves through the camera's own interface, one hop (loopback in tests).
          s.setMulticastInterface(this.options.host);
          s.setMulticastTTL(1);
        }
      }
      this.udp = { rtp, rtcp, rtpPort: rtp.address().port, rtcpPort: rtcp.address().port };
    }
    return this;
  }

  /** Stops listening, ends every session and closes every connection. */
  stop(): Promise<void> {
    for (const s of this.sessions) this.stopStreaming(s);
    this.sessions.clear();
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (this.udp) {
      this.udp.rtp.close();
      this.udp.rtcp.close();
      this.udp = undefined;
    }
    return closeServer(server);
  }

  /** Number of open client connections (tests check that a client released its socket). */
  get openConnections(): number {
    return this.sockets.size;
  }

  private accept(sock: Socket): void {
    this.stats.connections++;
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('error', () => undefined);
    sock.once('close', () => this.sockets.delete(sock));
    // RTSP, or one half of an RTSP-over-HTTP tunnel (GET/POST with x-sessioncookie) on the same port.
    sock.once('data', (first: Buffer) => {
      if (/^(GET|POST) /.test(first.subarray(0, 5).toString('latin1'))) return this.acceptTunnel(sock, first);
      const parser = this.openRtsp(sock);
      sock.on('data', (d: Buffer) => parser.push(d));
      parser.push(first);
    });
  }

  /** The RTSP side of a connection: answers go to `sock`; the returned parser takes the requests. */
  private openRtsp(sock: Socket): RtspStreamParser {
    const conn = { sock, sessions: [] as Session[], serverCseq: 1000, closed: false };
    const parser = new RtspStreamParser({
      message: (m) => this.onMessage(conn, m),
      interleaved: () => {
        this.stats.receivedInterleaved++;
      },
      error: () => {
        /* a real camera ignores garbage from clients */
      },
    });
    sock.on('close', () => {
      conn.closed = true;
      for (const s of conn.sessions) {
        this.stopStreaming(s);
        this.sessions.delete(s);
      }
    });
    return parser;
  }

  /**
   * "Tunneling QuickTime RTSP and RTP over HTTP": the GET connection gets `200` and then every RTSP
   * answer and interleaved frame; the POST connection with the same x-sessioncookie carries the
   * requests, base64-encoded, and is never answered.
   */
  private acceptTunnel(sock: Socket, first: Buffer): void {
    let head = first;
    const onHead = (): void => {
      const text = head.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) sock.destroy();
        return;
      }
      sock.off('data', more);
      const lines = text.slice(0, end).split('\r\n');
      const method = lines[0]!.split(' ')[0];
      const cookie = lines.find((l) => /^x-sessioncookie\s*:/i.test(l))?.replace(/^[^:]*:\s*/, '').trim();
      const rest = head.subarray(end + 4);
      if (!this.transports.has('http') || !cookie) {
        sock.end('HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (method === 'GET') {
        sock.write('HTTP/1.0 200 OK\r\nServer: camstream VirtualCamera\r\nConnection: close\r\nCache-Control: no-store\r\nPragma: no-cache\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n');
        this.tunnels.set(cookie, this.openRtsp(sock));
        sock.once('close', () => this.tunnels.delete(cookie));
        return;
      }
      const parser = this.tunnels.get(cookie);
      if (!parser) {
        sock.end('HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const b64 = new Base64StreamDecoder();
      sock.on('data', (d: Buffer) => parser.push(b64.push(d)));
      if (rest.length > 0) parser.push(b64.push(rest));
    };
    const more = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      onHead();
    };
    sock.on('data', more);
    onHead();
  }


  private onMessage(conn: { sock: Socket; sessions: Session[]; serverCseq: number; closed: boolean }, m: RtspMessage): void {
    if (m.head.kind !== 'request') return; // answers to our own server requests
    const req = m.head;
    const cseq = req.headers.get('cseq') ?? '0';
    this.stats.requests[req.method] = (this.stats.requests[req.method] ?? 0) + 1;
    this.requestLog.push(`${req.method} ${req.uri}`);
    const sessionId = req.headers.get('session')?.split(';')[0]?.trim();
    const session = sessionId ? conn.sessions.find((s) => s.id === sessionId) : undefined;
    if (session) {
      session.lastRequest = Date.now();
      if (session.stalled) return; // a stalled camera answers nothing
    }
    const reply = (status: number, reason: string, headers: Record<string, string> = {}, body?: string): void => {
      this.send(conn.sock, status, reason, cseq, headers, body);
    };

    if (req.method !== 'OPTIONS' && !this.authorized(req)) return this.challenge(conn.sock, cseq);
    const path = pathOf(req.uri);
    if (path.startsWith('/missing')) return reply(404, 'Not Found');
    // '/redirect/<rest>' answers 302 to '/<rest>'; '/redirect-loop' redirects to itself.
    if (path.startsWith('/redirect-loop')) return reply(302, 'Found', { Location: req.uri });
    if (path.startsWith('/redirect/')) return reply(302, 'Found', { Location: req.uri.replace('/redirect/', '/') });

    switch (req.method) {
      case 'OPTIONS':
        return reply(200, 'OK', { Public: `OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN${this.quirks.noGetParameter ? '' : ', GET_PARAMETER'}` });
      case 'DESCRIBE': {
        const base = this.contentBase(req.uri);
        const sdp = this.sdp();
        return reply(200, 'OK', { 'Content-Base': base, 'Content-Type': 'application/sdp' }, sdp);
      }
      case 'SETUP': {
        const tSpec = req.headers.get('transport');
        // The first transport-spec this camera can do (RFC 2326 §12.39: the client lists them by preference).
        const t = tSpec ? parseTransports(tSpec).find((x) => this.transports.has(transportKind(x))) : undefined;
        if (!t || (transportKind(t) !== 'tcp' && !this.udp)) return reply(461, 'Unsupported Transport');
        if (transportKind(t) === 'udp' && !t.clientPort) return reply(461, 'Unsupported Transport');
        if (sessionId && !session) return reply(454, 'Session Not Found');
        const s = session ?? new Session();
        if (!session) {
          s.index = this.sessionCount++;
          conn.sessions.push(s);
          this.sessions.add(s);
        }
        const kind: 'video' | 'audio' = /track2|trackID=1|stream=1/.test(req.uri) ? 'audio' : 'video';
        const requested = t.interleaved ?? [s.tracks.length * 2, s.tracks.length * 2 + 1];
        const channel = this.quirks.serverChosenChannels ? 6 + s.tracks.length * 4 : requested[0];
        const ssrc = randomBytes(4).readUInt32BE(0);
        const seq = randomBytes(2).readUInt16BE(0);
        const packetizer =
          kind === 'video'
            ? new H264Packetizer({ maxPayloadSize: this.options.maxPayloadSize, payloadType: this.quirks.seed000Sdp ? SEED000_VIDEO_PT : VIDEO_PT, ssrc, initialSequenceNumber: seq })
            : undefined;
        const ssrcHex = ssrc.toString(16).toUpperCase().padStart(8, '0');
        let transport: string;
        let udp: Track['udp'];
        if (transportKind(t) === 'udp') {
          // Media goes to the address the request came from, never to a `destination=` (RFC 2326 §12.39
          // lets a server refuse it; accepting it would make the camera a traffic reflector).
          const address = conn.sock.remoteAddress ?? this.options.host;
          const [rtpPort, rtcpPort] = t.clientPort!;
          udp = { address, rtpPort, rtcpPort };
          transport = `RTP/AVP;unicast;client_port=${rtpPort}-${rtcpPort};server_port=${this.udp!.rtpPort}-${this.udp!.rtcpPort};ssrc=${ssrcHex};mode="PLAY"`;
        } else if (transportKind(t) === 'multicast') {
          // Each session its own port pair in the group (a real camera shares one stream; see README).
          const port = this.multicastPort + 4 * s.index + 2 * s.tracks.length;
          udp = { address: this.multicastGroup, rtpPort: port, rtcpPort: port + 1 };
          transport = `RTP/AVP;multicast;destination=${this.multicastGroup};port=${port}-${port + 1};ttl=1;ssrc=${ssrcHex};mode="PLAY"`;
        } else {
          transport = `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1};ssrc=${ssrcHex};mode="PLAY"`;
        }
        s.tracks.push({ kind, control: req.uri, channel, ssrc, seq, rtpBase: randomBytes(4).readUInt32BE(0), packetizer, udp });
        return reply(200, 'OK', { Transport: transport, Session: `${s.id};timeout=${this.options.sessionTimeout}` });
      }
      case 'PLAY': {
        if (!session || this.faults.forgetSessionBeforePlay) return reply(454, 'Session Not Found');
        const rtpInfo = session.tracks
          .map((tr) => `url=${tr.control};seq=${this.quirks.bogusRtpInfo ? 0 : tr.packetizer?.sequenceNumber ?? tr.seq};rtptime=${this.rtpTime(session, tr)}`)
          .join(',');
        const answer = (): void => reply(200, 'OK', { Session: session.id, Range: 'npt=0.000-', 'RTP-Info': rtpInfo });
        if (this.quirks.dataBeforePlayResponse) {
          this.startStreaming(conn, session);
          this.pump(conn, session, 3);
          answer();
        } else {
          answer();
          this.startStreaming(conn, session);
        }
        return;
      }
      case 'PAUSE':
        if (!session) return reply(454, 'Session Not Found');
        this.stopStreaming(session);
        return reply(200, 'OK', { Session: session.id });
      case 'GET_PARAMETER':
        if (this.quirks.noGetParameter) return reply(405, 'Method Not Allowed');
        return reply(200, 'OK', session ? { Session: session.id } : {});
      case 'TEARDOWN':
        if (session) {
          this.stopStreaming(session);
          this.sessions.delete(session);
          conn.sessions.splice(conn.sessions.indexOf(session), 1);
        }
        reply(200, 'OK', session ? { Session: session.id } : {});
        return;
      default:
        return reply(501, 'Not Implemented');
    }
  }

  private send(sock: Socket, status: number, reason: string, cseq: string, headers: Record<string, string>, body?: string): void {
    let bytes = encodeResponse(status, reason, { CSeq: cseq, Server: 'camstream VirtualCamera', ...headers }, body);
    if (this.quirks.cseqSpelling || this.quirks.bareLf) {
      let text = bytes.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      let head = text.slice(0, split + 4);
      const rest = text.slice(split + 4);
      if (this.quirks.cseqSpelling) head = head.replace(/^CSeq:/m, 'Cseq:');
      if (this.quirks.bareLf) head = head.replace(/\r\n/g, '\n');
      text = head + rest;
      bytes = Buffer.from(text, 'latin1');
    }
    this.write(sock, bytes);
  }

  private write(sock: Socket, bytes: Uint8Array): boolean {
    if (sock.destroyed) return false;
    this.stats.bytes += bytes.length;
    return sock.write(bytes);
  }

  // --- authentication (server side of RFC 7616 / RFC 2617 / RFC 7617) ---

  private challenge(sock: Socket, cseq: string): void {
    const headers: [string, string][] = [['CSeq', cseq]];
    for (const c of this.digest.challenges()) headers.push(['WWW-Authenticate', c]);
    this.write(sock, encodeResponse(401, 'Unauthorized', headers));
  }

  private authorized(req: RequestHead): boolean {
    return this.digest.check(req.method, req.headers.get('authorization')) === 'ok';
  }

  // --- description ---

  private contentBase(uri: string): string {
    if (this.quirks.dahuaContentBase) return `${stripUserinfo(uri)}/`;
    const u = new URL(stripUserinfo(uri));
    return `rtsp://${u.host}${u.pathname.replace(/\/?$/, '/')}`;
  }

  private sdp(): string {
    if (this.quirks.seed000Sdp) return SEED000_SDP;
    const sps = Buffer.from(this.media.sps).toString('base64');
    const pps = Buffer.from(this.media.pps).toString('base64');
    const pli = Buffer.from(this.media.sps.subarray(1, 4)).toString('hex').toUpperCase();
    const lines = [
      'v=0',
      `o=- ${Date.now()} 1 IN IP4 ${this.options.host}`,
      's=camstream VirtualCamera',
      't=0 0',
      'a=control:*',
      'a=range:npt=0-',
      'm=video 0 RTP/AVP 96',
      'c=IN IP4 0.0.0.0',
      `a=rtpmap:${VIDEO_PT} H264/90000`,
      `a=fmtp:${VIDEO_PT} packetization-mode=1;profile-level-id=${pli};sprop-parameter-sets=${sps},${pps}`,
      `a=framerate:${this.media.fps}`,
      'a=control:trackID=0',
    ];
    if (this.audio) lines.push('m=audio 0 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=control:trackID=1');
    return lines.join('\r\n') + '\r\n';
  }

  // --- streaming ---

  private rtpTime(s: Session, tr: Track): number {
    const perUnit = CLOCK / this.media.fps;
    const t = tr.kind === 'video' ? (s.loops * this.media.units.length + s.unitIndex) * perUnit : ((s.loops * this.media.units.length + s.unitIndex) * 8000) / this.media.fps;
    const unit = s.loops * this.media.units.length + s.unitIndex;
    const rate = tr.kind === 'video' ? CLOCK : 8000;
    const f = this.faults;
    if (f.clockRestartAt !== undefined && unit >= f.clockRestartAt) return Math.round(t - (f.clockRestartAt * rate) / this.media.fps) >>> 0;
    const jump = f.clockJumpAt !== undefined && unit >= f.clockJumpAt ? (f.clockJumpSeconds ?? 3 * 3600) * rate : 0;
    return (tr.rtpBase + Math.round(t) + jump) >>> 0;
  }

  private startStreaming(conn: { sock: Socket; closed: boolean; serverCseq: number }, s: Session): void {
    if (s.playing) return;
    s.playing = true;
    s.startedAt = Date.now() - (s.unitIndex * 1000) / this.media.fps;
    const tick = (): void => {
      s.timer = undefined;
      if (!s.playing || conn.closed) return;
      if (this.options.enforceTimeout && Date.now() - s.lastRequest > this.options.sessionTimeout * 1000) {
        // Session expired: the camera drops the client (media-stream-library-js #100).
        conn.sock.destroy();
        return;
      }
      if (this.options.pace === 'fast') {
        // Write until the socket pushes back, then wait for 'drain' (no unbounded buffering). UDP
        // has no backpressure: a few units per millisecond, so a receiver in this process keeps up.
        const udp = s.tracks.some((t) => t.udp);
        if (udp) {
          for (let k = 0; k < 4 && s.playing; k++) if (!this.pump(conn, s, 1)) break;
          if (s.playing) s.timer = setTimeout(tick, 1);
          return;
        }
        let budget = 64;
        while (s.playing && budget-- > 0) if (!this.pump(conn, s, 1)) break;
        if (!s.playing) return;
        if (conn.sock.writableNeedDrain) conn.sock.once('drain', () => s.playing && !s.timer && (s.timer = setTimeout(tick, 0)));
        else s.timer = setTimeout(tick, 0);
        return;
      }
      const due = Math.floor(((Date.now() - s.startedAt) * this.media.fps) / 1000) + 1;
      const target = s.loops * this.media.units.length + due;
      let sent = s.loops * this.media.units.length + s.unitIndex;
      while (s.playing && sent < target) {
        if (!this.pump(conn, s, 1)) break;
        sent++;
      }
      if (s.playing) s.timer = setTimeout(tick, 1000 / this.media.fps / 2);
    };
    s.timer = setTimeout(tick, 0);
  }

  private stopStreaming(s: Session): void {
    s.playing = false;
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
  }

  /** Sends `n` access units (plus audio and RTCP as due). Returns false when the session stopped. */
  private pump(conn: { sock: Socket; closed: boolean; serverCseq: number }, s: Session, n: number): boolean {
    const video = s.tracks.find((t) => t.kind === 'video');
    const audio = s.tracks.find((t) => t.kind === 'audio');
    for (let k = 0; k < n; k++) {
      if (s.unitIndex >= this.media.units.length) {
        if (!this.options.loop) {
          this.stopStreaming(s);
          return false;
        }
        s.unitIndex = 0;
        s.loops++;
      }
      const unit = this.media.units[s.unitIndex]!;
      if (video) {
        const ts = this.rtpTime(s, video);
        if (this.quirks.rtcp && Date.now() >= s.nextRtcp) {
          this.sendSenderReport(conn, video, ts);
          s.nextRtcp = Date.now() + 1000;
        }
        const p = video.packetizer!;
        let packets: Uint8Array[];
        if (this.quirks.markerOnParameterSets) {
          // Each parameter set packetized as its own "unit": its packet carries the marker bit.
          packets = [];
          const rest: Uint8Array[] = [];
          for (const nal of unit) {
            const t = nal[0]! & 0x1f;
            if (t === 7 || t === 8) packets.push(...p.packetize([nal], ts));
            else rest.push(nal);
          }
          packets.push(...p.packetize(rest, ts));
        } else {
          packets = p.packetize(unit, ts);
        }
        for (const pkt of packets) {
          if (this.quirks.noMarker) pkt[1]! &= 0x7f;
          if (!this.sendRtp(conn, s, video, pkt)) return false;
        }
        this.stats.units++;
      }
      if (audio && this.audio) {
        // 8000 Hz / fps samples of G.711 per video frame (320 at 25 fps), as one packet.
        const per = Math.round(8000 / this.media.fps);
        if (s.audioOffset + per > this.audio.length) s.audioOffset = 0;
        const ts = this.rtpTime(s, audio);
        const pkt = buildRtpPacket({ marker: true, payloadType: AUDIO_PT, sequenceNumber: audio.seq, timestamp: ts, ssrc: audio.ssrc }, this.audio.subarray(s.audioOffset, s.audioOffset + per));
        audio.seq = (audio.seq + 1) & 0xffff;
        if (!this.sendRtp(conn, s, audio, pkt)) return false;
        s.audioOffset += per;
      }
      if (this.quirks.strayChannel && !video?.udp && s.unitIndex % 10 === 5) this.write(conn.sock, encodeInterleaved(30, Buffer.from('stray channel data')));
      if (this.quirks.serverRequests && s.unitIndex % 25 === 10) {
        this.write(conn.sock, encodeRequest(s.unitIndex % 2 ? 'OPTIONS' : 'GET_PARAMETER', '*', { CSeq: String(conn.serverCseq++) }));
      }
      s.unitIndex++;
    }
    return true;
  }

  private sendRtp(conn: { sock: Socket; closed: boolean }, s: Session, tr: Track, packet: Uint8Array): boolean {
    const f = this.faults;
    s.sentPackets++;
    if (f.stallAfter !== undefined && s.sentPackets > f.stallAfter) {
      s.stalled = true;
      this.stopStreaming(s);
      return false;
    }
    if (tr.udp) {
      if (f.udpBlackhole) return true;
      if (f.closeMidFrameAfter !== undefined && s.sentPackets > f.closeMidFrameAfter) {
        // Over UDP "mid-frame" is the RTP stream stopping inside a unit and the RTSP connection closing.
        this.stopStreaming(s);
        conn.sock.end();
        conn.sock.destroySoon();
        return false;
      }
      this.stats.rtpPackets++;
      this.stats.bytes += packet.length;
      this.udp?.rtp.send(packet, tr.udp.rtpPort, tr.udp.address);
      return true;
    }
    const frame = encodeInterleaved(tr.channel, packet);
    if (f.closeMidFrameAfter !== undefined && s.sentPackets > f.closeMidFrameAfter) {
      this.write(conn.sock, frame.subarray(0, Math.max(5, frame.length >> 1)));
      this.stopStreaming(s);
      conn.sock.end();
      conn.sock.destroySoon();
      return false;
    }
    if (f.garbageAfter !== undefined && s.sentPackets === f.garbageAfter) {
      this.write(conn.sock, randomBytes(f.garbageBytes ?? 100).map((b) => (b === 0x24 || b === 0x52 ? 0 : b)));
    }
    this.stats.rtpPackets++;
    this.write(conn.sock, frame);
    return true;
  }

  private sendSenderReport(conn: { sock: Socket }, tr: Track, rtpTs: number): void {
    // RFC 3550 §6.4.1 SR, no report blocks: V=2 RC=0 PT=200 length=6.
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(tr.ssrc, 4);
    const now = Date.now();
    const secs = Math.floor(now / 1000) + 2208988800;
    sr.writeUInt32BE(secs >>> 0, 8);
    sr.writeUInt32BE(Math.floor(((now % 1000) / 1000) * 0x100000000) >>> 0, 12);
    sr.writeUInt32BE(rtpTs >>> 0, 16);
    sr.writeUInt32BE(this.stats.rtpPackets >>> 0, 20);
    sr.writeUInt32BE(this.stats.bytes >>> 0, 24);
    this.stats.rtcpPackets++;
    if (tr.udp) {
      if (!this.faults.udpBlackhole) this.udp?.rtcp.send(sr, tr.udp.rtcpPort, tr.udp.address);
    }
    else this.write(conn.sock, encodeInterleaved(tr.channel + 1, sr));
  }
}

function stripUserinfo(uri: string): string {
  return uri.replace(/^(rtsps?:\/\/)[^/@]*@/i, '$1');
}

function pathOf(uri: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/.*)?$/i.exec(uri);
  return m?.[1] ?? uri;
}

function transportKind(t: TransportSpec): VirtualCameraTransport {
  if (t.lowerTransport === 'TCP') return 'tcp';
  return t.delivery === 'multicast' ? 'multicast' : 'udp';
}
