/**
 * Bounded RTP reorder buffer for datagram transports (RFC 3550 §A.1 sequence arithmetic). Sans-IO:
 * packets and the current time go in, packets come out through the sink in sequence order, each with
 * the number of sequence numbers that were given up as lost right before it. The driver owns the one
 * timer: after each call, `deadline` says when `tick(now)` must run next (or undefined).
 *
 * Over UDP the network may reorder and duplicate; TCP interleaved needs none of this. Bounds:
 *   - `capacity` packets held at most (a power of two, default 512: FFmpeg holds up to 500
 *     packets, `RTP_REORDER_QUEUE_DEFAULT_SIZE`; gortsplib 64);
 *   - `maxDelayMs` the longest a packet waits for a hole before it to fill (default 100 ms, as
 *     FFmpeg's `DEFAULT_REORDERING_DELAY` and live555's MultiFramedRTPSource).
 * A packet that would need more room than `capacity` pushes the window forward: the holes it
 * passes are given up as lost at once. A packet behind the window (already released, or its slot
 * given up) is dropped and counted as `late`; a second copy of a held or recently released packet
 * as `duplicates`.
 *
 *     window:  expected ......................... expected + capacity - 1
 *              [hole][held][held][hole][held] ...
 *               ^ release when filled, or when the first held packet after it has waited
 *                 maxDelayMs (then the hole is counted lost and released packets carry `lost`)
 *
 * A sequence jump of more than `maxDropout` forward, or more than `maxMisorder` behind, is a sender
 * restart when the next packet follows it (RFC 3550 §A.1 "bad_seq"): everything held is released
 * and counting starts again from that packet.
 */

export interface ReorderSink<T> {
  /**
   * A packet released in order. `lost` = sequence numbers given up right before this one (0 when
   * it follows the previous released packet, or after a restart).
   */
  packet(item: T, seq: number, lost: number): void;
}

export interface ReorderOptions {
  /** Packets held at most; rounded up to a power of two (default 512, minimum 1). */
  capacity?: number;
  /** Longest wait for a missing packet (default 100 ms; 0 = never wait: release at once, gaps are lost). */
  maxDelayMs?: number;
  /** Forward jump treated as a restart candidate (RFC 3550 §A.1 MAX_DROPOUT, default 3000). */
  maxDropout?: number;
  /** Backward step beyond which a packet is a restart candidate, not late (§A.1 MAX_MISORDER, default 100). */
  maxMisorder?: number;
}

export interface ReorderStats {
  /** Packets released. */
  released: number;
  /** Packets that arrived ahead of a hole and were held. */
  reordered: number;
  /** Sequence numbers given up (holes not filled in time or pushed out of the window). */
  lost: number;
  /** Second copies of a held or just-released packet. */
  duplicates: number;
  /** Packets behind the window (their turn had passed): dropped. */
  late: number;
  /** Holes given up because the window was full (not because of time). */
  overflows: number;
  /** Sender restarts (§A.1). */
  restarts: number;
}

export const DEFAULT_REORDER_CAPACITY = 512;
export const DEFAULT_REORDER_DELAY_MS = 100;

export class ReorderBuffer<T> {
  readonly stats: ReorderStats = { released: 0, reordered: 0, lost: 0, duplicates: 0, late: 0, overflows: 0, restarts: 0 };
  private readonly sink: ReorderSink<T>;
  private readonly size: number;
  private readonly mask: number;
  private readonly maxDelay: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  /** Ring slots, indexed by seq & mask. `held[i]` says the slot is occupied. */
  private readonly items: (T | undefined)[];
  private readonly seqs: Int32Array;
  private readonly arrived: Float64Array;
  private readonly held: Uint8Array;
  private count = 0;
  private started = false;
  /** Next sequence number to release (16-bit). */
  private expected = 0;
  /** Sequence number last released from each slot: tells a duplicate from a late packet. */
  private readonly releasedSeq: Int32Array;
  /** Holes given up since the last released packet. */
  private pendingLost = 0;
  private badSeq = -1;
  private nextDeadline: number | undefined;

  constructor(sink: ReorderSink<T>, opts: ReorderOptions = {}) {
    this.sink = sink;
    const want = Math.max(1, Math.min(1 << 15, Math.floor(opts.capacity ?? DEFAULT_REORDER_CAPACITY)));
    let size = 1;
    while (size < want) size <<= 1;
    this.size = size;
    this.mask = size - 1;
    this.maxDelay = Math.max(0, opts.maxDelayMs ?? DEFAULT_REORDER_DELAY_MS);
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
    this.items = new Array<T | undefined>(size).fill(undefined);
    this.seqs = new Int32Array(size);
    this.arrived = new Float64Array(size);
    this.held = new Uint8Array(size);
    this.releasedSeq = new Int32Array(size).fill(-1);
  }

  /** Window size in packets (the capacity rounded up to a power of two). */
  get capacity(): number {
    return this.size;
  }

  /** Packets held now. */
  get heldCount(): number {
    return this.count;
  }

  /** When `tick` must run next (same clock as `now`), or undefined when nothing waits. */
  get deadline(): number | undefined {
    return this.nextDeadline;
  }

  /** Offers one packet with its RTP sequence number, at time `now` (ms, any monotonic clock). */
  push(seq: number, item: T, now: number): void {
    seq &= 0xffff;
    if (!this.started) {
      this.started = true;
      this.expected = seq;
    }
    // Signed distance from the next expected sequence number (RFC 1982 serial arithmetic).
    const d = ((seq - this.expected + 0x8000) & 0xffff) - 0x8000;
    if (d < 0) {
      if (-d > this.maxMisorder && -d > this.size) return this.restartCandidate(seq, item, now);
      this.badSeq = -1;
      if (this.releasedSeq[seq & this.mask] === seq) this.stats.duplicates++;
      else this.stats.late++;
      return;
    }
    if (d > this.maxDropout) return this.restartCandidate(seq, item, now);
    this.badSeq = -1;
    if (d === 0) {
      this.emit(item, seq);
      this.drain(now);
      return;
    }
    if (d >= this.size) {
      // No room: give up the oldest holes until the packet fits in the window.
      this.advanceTo((seq - this.size + 1) & 0xffff, true);
      if (seq === this.expected) {
        this.emit(item, seq);
        this.drain(now);
        return;
      }
    }
    const i = seq & this.mask;
    if (this.held[i] === 1) {
      this.stats.duplicates++;
      return;
    }
    this.items[i] = item;
    this.seqs[i] = seq;
    this.arrived[i] = now;
    this.held[i] = 1;
    this.count++;
    this.stats.reordered++;
    if (this.maxDelay === 0) {
      this.giveUpHole(now);
      return;
    }
    this.drain(now);
  }

  /** Releases what has waited long enough. Call at (or after) `deadline`. */
  tick(now: number): void {
    this.drain(now);
  }

  /** Releases every held packet in order (holes counted lost): end of stream, PAUSE, teardown. */
  flush(): void {
    while (this.count > 0) this.skipHole();
    this.nextDeadline = undefined;
  }

  /** Forgets everything (held packets are dropped, not released) and starts again. */
  reset(): void {
    this.items.fill(undefined);
    this.held.fill(0);
    this.count = 0;
    this.started = false;
    this.pendingLost = 0;
    this.releasedSeq.fill(-1);
    this.badSeq = -1;
    this.nextDeadline = undefined;
  }

  // ---------------------------------------------------------------------------------------------

  private restartCandidate(seq: number, item: T, now: number): void {
    // §A.1: accept the jump only when the next packet follows it; one stray packet is just dropped.
    if (this.badSeq === seq) {
      this.badSeq = -1;
      this.flush();
      this.stats.restarts++;
      this.expected = seq;
      this.pendingLost = 0;
      this.push(seq, item, now);
      return;
    }
    this.badSeq = (seq + 1) & 0xffff;
    this.stats.late++;
  }

  private emit(item: T, seq: number): void {
    const lost = this.pendingLost;
    this.pendingLost = 0;
    this.expected = (seq + 1) & 0xffff;
    this.releasedSeq[seq & this.mask] = seq;
    this.stats.released++;
    this.sink.packet(item, seq, lost);
  }

  /** Releases the run of held packets at `expected`, then gives up holes whose wait is over. */
  private drain(now: number): void {
    for (;;) {
      while (this.count > 0) {
        const i = this.expected & this.mask;
        if (this.held[i] !== 1) break;
        this.releaseSlot(i);
      }
      if (this.count === 0) {
        this.nextDeadline = undefined;
        return;
      }
      // A hole at `expected`: the first held packet after it sets the deadline.
      const first = this.firstHeld();
      const due = this.arrived[first]! + this.maxDelay;
      if (now < due) {
        this.nextDeadline = due;
        return;
      }
      this.skipHole();
    }
  }

  private giveUpHole(now: number): void {
    this.skipHole();
    this.drain(now);
  }

  private releaseSlot(i: number): void {
    const item = this.items[i] as T;
    const seq = this.seqs[i]!;
    this.items[i] = undefined;
    this.held[i] = 0;
    this.count--;
    this.emit(item, seq);
  }

  /** Slot of the first held packet after `expected` (count > 0). */
  private firstHeld(): number {
    for (let k = 0; k < this.size; k++) {
      const i = (this.expected + k) & this.mask;
      if (this.held[i] === 1) return i;
    }
    return this.expected & this.mask;
  }

  /** Gives up the hole at `expected` up to the next held packet, and releases the run there. */
  private skipHole(): void {
    if (this.count === 0) return;
    const first = this.firstHeld();
    const target = this.seqs[first]!;
    const gap = (target - this.expected) & 0xffff;
    this.stats.lost += gap;
    this.pendingLost += gap;
    this.expected = target;
    while (this.count > 0) {
      const i = this.expected & this.mask;
      if (this.held[i] !== 1) break;
      this.releaseSlot(i);
    }
  }

  /** Moves `expected` forward to `to`, releasing held packets and giving up holes on the way. */
  private advanceTo(to: number, overflow: boolean): void {
    while (this.expected !== to) {
      const i = this.expected & this.mask;
      if (this.held[i] === 1) {
        this.releaseSlot(i);
      } else {
        this.stats.lost++;
        this.pendingLost++;
        if (overflow) this.stats.overflows++;
        this.expected = (this.expected + 1) & 0xffff;
      }
    }
  }
}
