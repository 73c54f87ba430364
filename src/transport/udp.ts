/**
 * RTP over UDP sockets (RFC 3550 §11, RFC 2326 §12.39): the only code that opens datagram sockets.
 *
 * Unicast: an RTP/RTCP pair on consecutive ports, RTP even and RTCP odd (RFC 3550 §11), bound before
 * SETUP so its numbers can go into `client_port=`; a port taken by someone else (or an odd
 * ephemeral port) is retried with another pair. Multicast: both sockets bound to the group's
 * `port=` pair with SO_REUSEADDR, so several receivers of one group on one host work, joined on
 * the interface that reaches the server, left on close.
 *
 * Source check: media is accepted only from the session's own server (its address, and its
 * `server_port` when the server announced one). Every other datagram is counted and dropped, so
 * nobody on the network can inject media into a recording. Before the server is known (between
 * bind and the SETUP answer) every datagram is foreign.
 *
 * Each datagram arrives as its own Buffer (node:dgram allocates one per message); handlers may keep
 * it (a reorder buffer holds it until its turn) without copying.
 *
 * An observer (`observe`; the client wires it to a wire tap) sees every datagram in, foreign ones too
 * with their real sender, and out (NAT punch, receiver reports).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ProtocolError } from '../errors.js';

export interface UdpDatagramSink {
  /** A datagram on the RTP socket from the server. Yours to keep. */
  rtp(datagram: Buffer): void;
  /** A datagram on the RTCP socket from the server. Yours to keep. */
  rtcp(datagram: Buffer): void;
  /** A datagram from anyone else: already counted and dropped; for a warning. */
  foreign?(kind: 'rtp' | 'rtcp', from: RemoteInfo): void;
}

/** How strictly the sender of a datagram is checked against the session's server. */
export type UdpSourceCheck =
  /** The server's address, and its announced `server_port` (default). */
  | 'address-and-port'
  /**
   * The server's address only: for cameras that send from other ports than the `server_port` they
   * announce (some NAT setups and encoders behind a proxy).
   */
  | 'address';

export interface UdpPairOptions {
  /** Local address to bind. Default: the wildcard of the server's family (`0.0.0.0` / `::`). */
  bindAddress?: string;
  /** Address family of the server (default 4). */
  family?: 4 | 6;
  /** Pick the RTP port from this range (inclusive); default: ephemeral ports (port 0) until an even/odd pair binds. */
  portRange?: readonly [number, number];
  /** Pairs tried before giving up (default 32). */
  attempts?: number;
  /** SO_RCVBUF in bytes for both sockets (default: the system's; GStreamer asks for 512 KiB). */
  receiveBufferSize?: number;
  sourceCheck?: UdpSourceCheck;
}

export interface MulticastOptions {
  /** Group address (`destination=` in the SETUP answer). */
  group: string;
  /** RTP and RTCP ports of the group (`port=`). */
  ports: readonly [number, number];
  /** Local address of the interface to join on: the one the RTSP connection uses to reach the server. */
  interfaceAddress: string;
  /** TTL for what we send to the group (RTCP receiver reports); `ttl=` of the answer (default 16). */
  ttl?: number;
  receiveBufferSize?: number;
  sourceCheck?: UdpSourceCheck;
}

/** Sees every datagram of a pair as it is on the wire (for captures and `camstream dump`). */
export interface UdpObserver {
  /**
   * `peer`: the real sender (in) or destination (out) when it is not the session's server and port
   * (a foreign datagram, a multicast group); undefined for the server's own.
   */
  datagram(socket: 'rtp' | 'rtcp', direction: 'in' | 'out', bytes: Uint8Array, peer: { address: string; port: number } | undefined): void;
  /** The pair was closed. */
  closed(): void;
}

export interface UdpPeer {
  /** The server's address as seen on the RTSP connection (or the answer's `source=`). */
  address: string;
  /** `server_port=` of the SETUP answer, when given. */
  rtpPort?: number;
  rtcpPort?: number;
}

export interface UdpPairStats {
  rtpDatagrams: number;
  rtcpDatagrams: number;
  bytesIn: number;
  /** Datagrams from anyone but the server: dropped. */
  foreignDatagrams: number;
}

const DEFAULT_ATTEMPTS = 32;

/** An RTP/RTCP socket pair for one track (unicast or one multicast group). */
export class RtpUdpPair {
  readonly stats: UdpPairStats = { rtpDatagrams: 0, rtcpDatagrams: 0, bytesIn: 0, foreignDatagrams: 0 };
  /** Multicast group, when joined. */
  readonly group: string | undefined;
  private peer: UdpPeer | undefined;
  private sink: UdpDatagramSink | undefined;
  private closed = false;
  private readonly strictPort: boolean;
  /** Where our RTCP goes: the server's RTCP port (unicast) or the group's (multicast). */
  private rtcpTarget: { address: string; port: number } | undefined;
  private readonly multicastIface: string | undefined;
  private observer: UdpObserver | undefined;

  private constructor(
    private readonly rtpSock: Socket,
    private readonly rtcpSock: Socket,
    readonly rtpPort: number,
    readonly rtcpPort: number,
    sourceCheck: UdpSourceCheck,
    group?: { address: string; interfaceAddress: string },
  ) {
    this.strictPort = sourceCheck === 'address-and-port';
    this.group = group?.address;
    this.multicastIface = group?.interfaceAddress;
    rtpSock.on('message', (m, r) => this.onMessage(m, r, true));
    rtcpSock.on('message', (m, r) => this.onMessage(m, r, false));
    // Late ICMP errors (port unreachable after the server went away) must not crash the process.
    rtpSock.on('error', () => undefined);
    rtcpSock.on('error', () => undefined);
  }

  /**
   * Binds an even RTP port and the odd port after it (RFC 3550 §11). Retries on a conflict (port in
   * use, or an odd ephemeral port); throws `INVALID_ARGUMENT` when no pair could be bound.
   */
  static async bind(opts: UdpPairOptions = {}): Promise<RtpUdpPair> {
    const family = opts.family ?? (opts.bindAddress && isIPv6(opts.bindAddress) ? 6 : 4);
    const address = opts.bindAddress ?? (family === 6 ? '::' : '0.0.0.0');
    const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      let want = 0;
      if (opts.portRange) {
        const [lo, hi] = opts.portRange;
        const first = lo + (lo & 1);
        const pairs = Math.floor((hi - first - 1) / 2) + 1;
        if (pairs <= 0) break;
        want = first + 2 * Math.floor(Math.random() * pairs);
      }
      const rtp = newSocket(family, false, opts.receiveBufferSize);
      const rtpPort = await bindSocket(rtp, want, address).catch((e: unknown) => {
        lastError = e;
        return -1;
      });
      if (rtpPort < 0 || (rtpPort & 1) === 1) {
        closeQuietly(rtp);
        continue;
      }
      const rtcp = newSocket(family, false, opts.receiveBufferSize);
      const rtcpPort = await bindSocket(rtcp, rtpPort + 1, address).catch((e: unknown) => {
        lastError = e;
        return -1;
      });
      if (rtcpPort < 0) {
        closeQuietly(rtp);
        closeQuietly(rtcp);
        continue;
      }
      return new RtpUdpPair(rtp, rtcp, rtpPort, rtcpPort, opts.sourceCheck ?? 'address-and-port');
    }
    throw new ProtocolError('INVALID_ARGUMENT', `could not bind an RTP/RTCP port pair in ${attempts} attempts${lastError instanceof Error ? `: ${lastError.message}` : ''}`, {
      context: { portRange: opts.portRange ? `${opts.portRange[0]}-${opts.portRange[1]}` : 'ephemeral' },
    });
  }

  /**
   * Joins a multicast group (RFC 2326 §12.39 `multicast;destination=G;port=P-Q;ttl=T`) on the given
   * interface: both sockets bound to the group address with SO_REUSEADDR (other receivers on this
   * host can join too, and only this group's datagrams arrive), membership added, TTL set.
   */
  static async joinMulticast(o: MulticastOptions): Promise<RtpUdpPair> {
    const family = isIPv6(o.group) ? 6 : 4;
    const rtp = newSocket(family, true, o.receiveBufferSize);
    const rtcp = newSocket(family, true, o.receiveBufferSize);
    try {
      await bindSocket(rtp, o.ports[0], o.group);
      await bindSocket(rtcp, o.ports[1], o.group);
      for (const s of [rtp, rtcp]) {
        s.addMembership(o.group, o.interfaceAddress);
        s.setMulticastInterface(o.interfaceAddress);
        s.setMulticastTTL(o.ttl ?? 16);
      }
    } catch (e) {
      closeQuietly(rtp);
      closeQuietly(rtcp);
      throw new ProtocolError('INVALID_ARGUMENT', `cannot join multicast group ${o.group} ports ${o.ports[0]}-${o.ports[1]} on ${o.interfaceAddress}: ${(e as Error).message}`, {
        context: { group: o.group },
        cause: e,
      });
    }
    const pair = new RtpUdpPair(rtp, rtcp, o.ports[0], o.ports[1], o.sourceCheck ?? 'address', { address: o.group, interfaceAddress: o.interfaceAddress });
    pair.rtcpTarget = { address: o.group, port: o.ports[1] };
    return pair;
  }

  /** Where datagrams go from now on. */
  setSink(sink: UdpDatagramSink): void {
    this.sink = sink;
  }

  /** The session's server (from the SETUP answer): the only accepted sender. */
  setPeer(peer: UdpPeer): void {
    this.peer = peer;
    if (!this.group && peer.rtcpPort !== undefined) this.rtcpTarget = { address: peer.address, port: peer.rtcpPort };
  }

  /** The peer from `setPeer` (undefined before the SETUP answer). */
  get server(): UdpPeer | undefined {
    return this.peer;
  }

  /** Shows every datagram from now on to `o` (one observer; `closed()` when the pair closes). */
  observe(o: UdpObserver): void {
    if (!this.closed) this.observer = o;
  }

  /**
   * Sends one small datagram to each server port so NAT and firewalls on the way let the server's
   * stream in (what FFmpeg and live555 do after SETUP): an RTP header with no payload and an empty
   * RTCP receiver report (RFC 3550 §6.4.2, RC=0).
   */
  punch(ownSsrc: number): void {
    const p = this.peer;
    if (!p || this.closed || this.group) return;
    if (p.rtpPort !== undefined) {
      const rtp = Buffer.alloc(12);
      rtp[0] = 0x80;
      rtp.writeUInt32BE(ownSsrc >>> 0, 8);
      this.rtpSock.send(rtp, p.rtpPort, p.address);
      this.observer?.datagram('rtp', 'out', rtp, undefined);
    }
    if (p.rtcpPort !== undefined) {
      const rr = Buffer.alloc(8);
      rr[0] = 0x80;
      rr[1] = 201;
      rr.writeUInt16BE(1, 2);
      rr.writeUInt32BE(ownSsrc >>> 0, 4);
      this.rtcpSock.send(rr, p.rtcpPort, p.address);
      this.observer?.datagram('rtcp', 'out', rr, undefined);
    }
  }

  /** Sends RTCP (receiver reports) to the server's RTCP port, or to the group. False when there is nowhere to send. */
  sendRtcp(bytes: Uint8Array): boolean {
    const t = this.rtcpTarget;
    if (!t || this.closed) return false;
    this.rtcpSock.send(bytes, t.port, t.address);
    this.observer?.datagram('rtcp', 'out', bytes, this.group ? { address: t.address, port: t.port } : undefined);
    return true;
  }

  /** Leaves the group (multicast) and closes both sockets. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.group && this.multicastIface) {
      for (const s of [this.rtpSock, this.rtcpSock]) {
        try {
          s.dropMembership(this.group, this.multicastIface);
        } catch {
          /* already left (socket error) */
        }
      }
    }
    closeQuietly(this.rtpSock);
    closeQuietly(this.rtcpSock);
    const o = this.observer;
    this.observer = undefined;
    o?.closed();
  }

  private onMessage(m: Buffer, r: RemoteInfo, isRtp: boolean): void {
    const p = this.peer;
    const port = isRtp ? p?.rtpPort : p?.rtcpPort;
    const accepted = p !== undefined && r.address === p.address && !(this.strictPort && port !== undefined && r.port !== port);
    const o = this.observer;
    // The observer's remote is the server's address and port: the sender is named when it is anyone else.
    if (o) o.datagram(isRtp ? 'rtp' : 'rtcp', 'in', m, accepted && !this.group && (port === undefined || r.port === port) ? undefined : { address: r.address, port: r.port });
    if (!accepted) {
      this.stats.foreignDatagrams++;
      this.sink?.foreign?.(isRtp ? 'rtp' : 'rtcp', r);
      return;
    }
    this.stats.bytesIn += m.length;
    if (isRtp) {
      this.stats.rtpDatagrams++;
      this.sink?.rtp(m);
    } else {
      this.stats.rtcpDatagrams++;
      this.sink?.rtcp(m);
    }
  }
}

function newSocket(family: 4 | 6, reuseAddr: boolean, recvBufferSize: number | undefined): Socket {
  return createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr, ...(recvBufferSize ? { recvBufferSize } : {}) });
}

function bindSocket(s: Socket, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    s.once('error', onError);
    s.bind({ port, address, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s.address().port);
    });
  });
}

function closeQuietly(s: Socket): void {
  try {
    s.close();
  } catch {
    /* never bound, or already closed */
  }
}
