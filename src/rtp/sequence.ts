/**
 * Per-SSRC sequence number tracking (RFC 3550 §6.4.1 and Appendix A.1 style) and 32-bit RTP
 * timestamp extension.
 *
 * Over TCP interleaved transport packets cannot be reordered or duplicated by the network, so any
 * step other than +1 is either a loss at the sender/camera (forward jump) or a stale/duplicate packet
 * (backward step). Both are counted; `push` returns what happened so the caller can tell the
 * depacketizer (which also checks continuity on its own).
 */

export enum SeqEvent {
  /** The next packet in order (or the first packet). */
  InOrder = 0,
  /** A forward jump: `lastLost` packets are missing before this one. */
  Gap = 1,
  /** Same sequence number as the previous packet. */
  Duplicate = 2,
  /** Behind the highest seen (late, reordered or stale); over TCP this should never happen. */
  Old = 3,
  /** A jump so large (> maxDropout) that the source was treated as restarted (A.1 "bad_seq" twice). */
  Restart = 4,
}

export interface SequenceTrackerOptions {
  /** Forward jumps larger than this are treated as a sender restart, not as loss (A.1 MAX_DROPOUT). */
  maxDropout?: number;
  /** Backward steps up to this many are "old" packets; larger ones are a restart (A.1 MAX_MISORDER). */
  maxMisorder?: number;
}

export class SequenceTracker {
  /** Packets accepted (in order or after a gap). */
  received = 0;
  /** Packets counted as lost (sum of forward gaps). */
  lost = 0;
  duplicates = 0;
  old = 0;
  restarts = 0;
  /** Packets lost right before the last pushed packet. */
  lastLost = 0;
  private started = false;
  private maxSeq = 0;
  /** Number of 16-bit wraps, A.1 "cycles" (as a count, not shifted). */
  private cycles = 0;
  private baseSeq = 0;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private badSeq = -1;
  // RFC 3550 A.3: counters at the last report, for fraction lost.
  private expectedPrior = 0;
  private receivedPrior = 0;

  constructor(opts: SequenceTrackerOptions = {}) {
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
  }

  /** Highest extended sequence number seen (cycles * 65536 + seq). */
  get extendedMax(): number {
    return this.cycles * 65536 + this.maxSeq;
  }

  /** Packets expected from the first to the highest seen (A.3). */
  get expected(): number {
    return this.started ? this.extendedMax - this.baseSeq + 1 : 0;
  }

  push(seq: number): SeqEvent {
    seq &= 0xffff;
    this.lastLost = 0;
    if (!this.started) {
      this.started = true;
      this.maxSeq = seq;
      this.baseSeq = seq;
      this.received = 1;
      return SeqEvent.InOrder;
    }
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta === 0) {
      this.duplicates++;
      return SeqEvent.Duplicate;
    }
    if (delta < 0x8000 && delta <= this.maxDropout) {
      if (seq < this.maxSeq) this.cycles++;
      this.maxSeq = seq;
      this.received++;
      this.badSeq = -1;
      if (delta > 1) {
        this.lastLost = delta - 1;
        this.lost += delta - 1;
        return SeqEvent.Gap;
      }
      return SeqEvent.InOrder;
    }
    const back = (this.maxSeq - seq) & 0xffff;
    if (back <= this.maxMisorder) {
      this.old++;
      return SeqEvent.Old;
    }
    // A.1: a very large jump; accept it as a restart only when the next packet follows it.
    if (this.badSeq === seq) {
      this.restarts++;
      this.maxSeq = seq;
      this.cycles = 0;
      this.baseSeq = seq;
      this.received = 1;
      this.lost = 0;
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.badSeq = -1;
      return SeqEvent.Restart;
    }
    this.badSeq = (seq + 1) & 0xffff;
    this.old++;
    return SeqEvent.Old;
  }

  /** Forgets the source (a new SSRC): the next packet starts a new sequence; counters are kept. */
  reset(): void {
    this.started = false;
    this.badSeq = -1;
    this.cycles = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.received = 0;
  }

  /**
   * Report block loss fields (RFC 3550 §6.4.1, A.3) since the previous call: fraction lost (0-255)
   * and the cumulative number lost (24-bit signed, clamped).
   */
  takeReportCounters(): { fractionLost: number; cumulativeLost: number; extendedHighestSeq: number } {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    const cumulative = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    return { fractionLost, cumulativeLost: cumulative, extendedHighestSeq: this.extendedMax >>> 0 };
  }
}

/**
 * Extends 32-bit RTP timestamps to a monotonic-ish number across wraps: each timestamp is placed
 * nearest to the previous one (a step of up to +-2^31 ticks), so a wrap adds 2^32.
 */
export class TimestampExtender {
  private last = 0;
  private started = false;

  extend(ts: number): number {
    ts >>>= 0;
    if (!this.started) {
      this.started = true;
      this.last = ts;
      return ts;
    }
    const delta = (ts - this.last) | 0;
    this.last += delta;
    return this.last;
  }

  reset(): void {
    this.started = false;
    this.last = 0;
  }
}
