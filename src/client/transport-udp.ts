/**
 * The receive side of one track over UDP (unicast or multicast): datagrams from the track's socket
 * pair (transport/udp.ts, which already dropped every sender but the server) go through a bounded
 * reorder buffer (rtp/reorder.ts) and come out in sequence order, as the interleaved path delivers
 * them over TCP. Duplicates are dropped there; holes are waited for at most `maxDelayMs`, then
 * given up, so the session's sequence tracking and the depacketizer see the loss exactly once.
 *
 * Time: the reorder buffer is sans-IO; this driver reads the clock (`now`, injectable) and asks
 * its owner for a wake-up (`schedule`) instead of owning a timer, so a session keeps one timer for
 * all its tracks however many there are.
 */
import { ProtocolError } from '../errors.js';
import { ReorderBuffer, type ReorderOptions, type ReorderStats } from '../rtp/reorder.js';
import type { RtpUdpPair } from '../transport/udp.js';

export interface UdpTrackSink {
  /** One RTP packet, in sequence order: `buf[start, end)`, valid during the call (the datagram is not reused, but do not keep it). */
  rtp(buf: Uint8Array, start: number, end: number): void;
  /** One RTCP compound packet from the server. */
  rtcp(buf: Uint8Array): void;
  /** Non-fatal: malformed datagrams, foreign senders (rate-limited to the first of each kind). */
  warning(e: ProtocolError): void;
  /** The reorder buffer wants `tick(now)` at `deadline` (the owner keeps one timer for the earliest). */
  schedule(deadline: number): void;
}

export interface UdpTrackStats extends ReorderStats {
  /** Datagrams too short or not RTP version 2: dropped. */
  badDatagrams: number;
}

export interface UdpTrackOptions {
  reorder?: ReorderOptions;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

export class UdpTrackReceiver {
  private readonly reorder: ReorderBuffer<Buffer>;
  private readonly now: () => number;
  private bad = 0;
  private warnedForeign = false;
  private lastScheduled: number | undefined;

  constructor(
    readonly pair: RtpUdpPair,
    private readonly sink: UdpTrackSink,
    opts: UdpTrackOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.reorder = new ReorderBuffer<Buffer>({ packet: (d) => sink.rtp(d, 0, d.length) }, opts.reorder);
    pair.setSink({
      rtp: (d) => this.onRtp(d),
      rtcp: (d) => sink.rtcp(d),
      foreign: (kind, from) => {
        if (this.warnedForeign) return;
        this.warnedForeign = true;
        // The sender's address is not a secret; it helps find a misconfigured network or an attack.
        sink.warning(new ProtocolError('RTP_BAD_PACKET', `${kind.toUpperCase()} datagram from ${from.address}:${from.port}, not the session's server: dropped (further ones counted in stats)`, { context: { from: `${from.address}:${from.port}` } }));
      },
    });
  }

  get stats(): UdpTrackStats {
    return { ...this.reorder.stats, badDatagrams: this.bad };
  }

  /** When `tick` is due (undefined when nothing waits for a hole). */
  get deadline(): number | undefined {
    return this.reorder.deadline;
  }

  /** Releases packets whose wait for a hole is over. */
  tick(now: number = this.now()): void {
    this.reorder.tick(now);
    this.lastScheduled = undefined;
    this.reschedule();
  }

  /** Releases everything held (PAUSE, end of stream, teardown). */
  flush(): void {
    this.reorder.flush();
    this.lastScheduled = undefined;
  }

  close(): void {
    this.reorder.reset();
    this.pair.close();
  }

  private onRtp(d: Buffer): void {
    // RFC 3550 §5.1: at least the fixed header, version 2. Everything else is the depacketizer's.
    if (d.length < 12 || d[0]! >> 6 !== 2) {
      this.bad++;
      if (this.bad === 1) this.sink.warning(new ProtocolError('RTP_BAD_PACKET', `datagram of ${d.length} bytes is not RTP version 2: dropped`, { context: { size: d.length } }));
      return;
    }
    this.reorder.push((d[2]! << 8) | d[3]!, d, this.now());
    this.reschedule();
  }

  private reschedule(): void {
    const due = this.reorder.deadline;
    if (due === undefined || due === this.lastScheduled) return;
    this.lastScheduled = due;
    this.sink.schedule(due);
  }
}
