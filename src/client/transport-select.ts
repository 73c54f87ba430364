/**
 * Transport choice for RtspClient (RFC 2326 §12.39) and the per-track UDP/multicast drivers.
 *
 *   'tcp'        RTP/AVP/TCP interleaved on the control connection (RFC 2326 §10.12).
 *   'udp'        RTP/AVP unicast: an even/odd port pair per track, bound before SETUP.
 *   'multicast'  RTP/AVP multicast: the server picks the group; joined on the interface of the
 *                control connection, left on close.
 *   'http'       RTSP and interleaved RTP inside an HTTP tunnel (transport/http-tunnel.ts);
 *                HTTPS when the URL is rtsps://.
 *   'auto'       (default) UDP first, TCP when the server refuses UDP (461 Unsupported Transport)
 *                or when no RTP arrives over UDP within `udpTimeoutMs` after PLAY (a firewall or
 *                NAT in the way): what gortsplib (3 s), FFmpeg and GStreamer (5 s) do.
 *
 * `ClientTransports` is driver code: it binds and closes sockets, reads the clock, and keeps no
 * timer of its own (the client's one timer serves the session and the reorder buffers).
 */
import type { RtspTrack, TrackTransport } from '../rtsp/session/types.js';
import type { ProtocolError } from '../errors.js';
import { RtpUdpPair, type UdpSourceCheck } from '../transport/udp.js';
import { UdpTrackReceiver, type UdpTrackStats } from './transport-udp.js';
import type { WireTap } from '../capture/tap.js';

export type TransportMode = 'auto' | 'tcp' | 'udp' | 'multicast' | 'http';

export const TRANSPORT_MODES: readonly TransportMode[] = ['auto', 'tcp', 'udp', 'multicast', 'http'];

/** What the client ended up using, and why (for stats, warnings and `camstream probe`). */
export interface TransportInfo {
  /** The option as given. */
  requested: TransportMode;
  /** What carries the media now. */
  used: 'tcp' | 'udp' | 'multicast' | 'http';
  /** Why: `requested`, `udp-refused` (461), `udp-timeout` (no RTP over UDP in time). */
  reason: 'requested' | 'udp-refused' | 'udp-timeout';
}

export interface UdpOptions {
  /** RTP port range for `client_port` pairs (default: ephemeral ports). */
  portRange?: readonly [number, number];
  /** SO_RCVBUF per socket in bytes (default 2 MiB; GStreamer asks 512 KiB, a 4K camera's I-frame burst needs more). */
  receiveBufferSize?: number;
  /** Reorder window in packets (default 512) and the longest wait for a missing packet (default 100 ms). */
  reorderCapacity?: number;
  reorderDelayMs?: number;
  /** See UdpSourceCheck (default 'address-and-port' unicast, 'address' multicast). */
  sourceCheck?: UdpSourceCheck;
  /** Multicast TTL asked for in SETUP (default: the server's choice). */
  ttl?: number;
  /**
   * Send the NAT-opening datagrams after SETUP (default true). VLC 3.0's RTSP server ends the session
   * when they arrive: turn this off for it (see README, Transports).
   */
  natPunch?: boolean;
}

export const DEFAULT_UDP_RECEIVE_BUFFER = 2 * 1024 * 1024;
export const DEFAULT_UDP_TIMEOUT_MS = 3000;

export interface ClientTransportsHost {
  /** The session's input for a track's RTP / RTCP (already source-checked and in order). */
  rtp(trackIndex: number, buf: Uint8Array, start: number, end: number, now: number): void;
  rtcp(trackIndex: number, buf: Uint8Array, start: number, end: number, now: number): void;
  warning(e: ProtocolError): void;
  /** A reorder buffer wants a tick at `at` (the client folds it into its one timer). */
  schedule(at: number): void;
  now(): number;
  /** Shown every datagram of every track's sockets (one tap connection per socket), ids from `nextId`. */
  tap?: { tap: WireTap; nextId: () => number };
}

interface TrackUdp {
  track: RtspTrack;
  pair: RtpUdpPair | undefined;
  receiver: UdpTrackReceiver | undefined;
}

/** The UDP and multicast sockets of one client's tracks. */
export class ClientTransports {
  private readonly byTrack = new Map<number, TrackUdp>();
  private rtpSeen = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly host: ClientTransportsHost,
    private readonly opts: UdpOptions = {},
  ) {}

  /** True once any RTP datagram from the server arrived on any track. */
  get receivedRtp(): boolean {
    return this.rtpSeen;
  }

  /** Per-track counters of the UDP receive path (reorder, duplicates, foreign senders). */
  stats(): { track: number; udp: UdpTrackStats; foreignDatagrams: number }[] {
    const out: { track: number; udp: UdpTrackStats; foreignDatagrams: number }[] = [];
    for (const [i, t] of this.byTrack) if (t.receiver && t.pair) out.push({ track: i, udp: t.receiver.stats, foreignDatagrams: t.pair.stats.foreignDatagrams });
    return out;
  }

  /**
   * What to ask for in the SETUP of `track`. UDP binds the pair now (its ports go into
   * `client_port`); multicast lets the server choose the group.
   */
  async prepare(track: RtspTrack, kind: 'udp' | 'multicast', family: 4 | 6): Promise<TrackTransport> {
    this.release(track.index);
    if (kind === 'multicast') {
      this.byTrack.set(track.index, { track, pair: undefined, receiver: undefined });
      return this.opts.ttl !== undefined ? { kind: 'multicast', ttl: this.opts.ttl } : { kind: 'multicast' };
    }
    const pair = await RtpUdpPair.bind({
      family,
      portRange: this.opts.portRange,
      receiveBufferSize: this.opts.receiveBufferSize ?? DEFAULT_UDP_RECEIVE_BUFFER,
      sourceCheck: this.opts.sourceCheck,
    });
    this.byTrack.set(track.index, { track, pair, receiver: this.receive(track, pair) });
    return { kind: 'udp', clientPort: [pair.rtpPort, pair.rtcpPort] };
  }

  /**
   * After the SETUP answer: who may send (the answer's `source=`, else the control connection's
   * peer), to which ports RTCP goes, and the NAT punch; multicast joins the announced group on
   * `localAddress` (the interface that reaches the server).
   */
  async setUp(track: RtspTrack, serverAddress: string, localAddress: string, ownSsrc: number): Promise<void> {
    const t = this.byTrack.get(track.index);
    const tr = track.transport;
    if (!t || !tr) return;
    const source = tr.source && isIpLiteral(tr.source) ? tr.source : serverAddress;
    if (tr.delivery === 'multicast') {
      const group = tr.destination;
      const ports = tr.port ?? tr.clientPort;
      if (!group || !ports) return;
      const pair = await RtpUdpPair.joinMulticast({
        group,
        ports,
        interfaceAddress: localAddress,
        ttl: tr.ttl,
        receiveBufferSize: this.opts.receiveBufferSize ?? DEFAULT_UDP_RECEIVE_BUFFER,
        sourceCheck: this.opts.sourceCheck ?? 'address',
      });
      t.pair = pair;
      t.receiver = this.receive(track, pair);
      pair.setPeer({ address: source });
      this.tapPair(pair, localAddress);
      return;
    }
    const pair = t.pair;
    if (!pair) return;
    pair.setPeer({ address: source, rtpPort: tr.serverPort?.[0], rtcpPort: tr.serverPort?.[1] });
    this.tapPair(pair, localAddress);
    if (this.opts.natPunch !== false) pair.punch(ownSsrc);
  }

  /** The host's wire tap sees the pair's datagrams: a `udp` connection per socket, closed with the pair. */
  private tapPair(pair: RtpUdpPair, localAddress: string): void {
    const h = this.host.tap;
    if (!h) return;
    const { tap } = h;
    const ids = [h.nextId(), h.nextId()] as const;
    const peer = pair.server;
    const local = pair.group ?? localAddress;
    const now = this.host.now();
    const remote = (port: number | undefined): { address: string; port: number } => ({ address: peer?.address ?? '', port: pair.group ? 0 : (port ?? 0) });
    tap.open({ id: ids[0], protocol: 'udp', kind: 'rtp', local: { address: local, port: pair.rtpPort }, remote: remote(peer?.rtpPort) }, now);
    tap.open({ id: ids[1], protocol: 'udp', kind: 'rtcp', local: { address: local, port: pair.rtcpPort }, remote: remote(peer?.rtcpPort) }, now);
    pair.observe({
      datagram: (socket, direction, bytes, from) => tap.data(ids[socket === 'rtp' ? 0 : 1], direction, bytes, this.host.now(), from),
      closed: () => {
        const t = this.host.now();
        tap.close(ids[0], t);
        tap.close(ids[1], t);
      },
    });
  }

  /** RTCP (receiver reports) of a UDP or multicast track. */
  sendRtcp(track: RtspTrack, bytes: Uint8Array): void {
    this.byTrack.get(track.index)?.pair?.sendRtcp(bytes);
  }

  /** Releases packets whose wait for a hole is over; returns the next deadline (Infinity: none). */
  tick(now: number): number {
    let next = Infinity;
    for (const t of this.byTrack.values()) {
      if (!t.receiver) continue;
      if (t.receiver.deadline !== undefined && t.receiver.deadline <= now) t.receiver.tick(now);
      const d = t.receiver.deadline;
      if (d !== undefined && d < next) next = d;
    }
    return next;
  }

  /** Releases everything the reorder buffers hold (PAUSE, end). */
  flush(): void {
    for (const t of this.byTrack.values()) t.receiver?.flush();
  }

  /** Resolves when RTP arrives (true) or after `ms` (false). The timer is cleared either way. */
  waitForRtp(ms: number): Promise<boolean> {
    if (this.rtpSeen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  /** Closes every socket (multicast groups left). Idempotent. */
  close(): void {
    for (const i of [...this.byTrack.keys()]) this.release(i);
    for (const w of this.waiters.splice(0)) w();
  }

  private release(index: number): void {
    const t = this.byTrack.get(index);
    if (!t) return;
    t.receiver?.close();
    t.pair?.close();
    this.byTrack.delete(index);
  }

  private receive(track: RtspTrack, pair: RtpUdpPair): UdpTrackReceiver {
    const h = this.host;
    return new UdpTrackReceiver(
      pair,
      {
        rtp: (buf, start, end) => {
          if (!this.rtpSeen) {
            this.rtpSeen = true;
            for (const w of this.waiters.splice(0)) w();
          }
          h.rtp(track.index, buf, start, end, h.now());
        },
        rtcp: (buf) => h.rtcp(track.index, buf, 0, buf.length, h.now()),
        warning: (e) => h.warning(e),
        schedule: (at) => h.schedule(at),
      },
      { reorder: { capacity: this.opts.reorderCapacity, maxDelayMs: this.opts.reorderDelayMs }, now: () => h.now() },
    );
  }
}

function isIpLiteral(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || /^[0-9a-f:]+$/i.test(s);
}
