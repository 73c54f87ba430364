/**
 * The sequence continuity check every depacketizer makes for itself, packet by packet (RFC 3550
 * §5.1: the sequence number goes up by one per packet, modulo 2^16). A step forward of d > 1 means
 * d - 1 packets were lost; a step back (half the number space or more ahead, the RFC 1982 way of
 * comparing) is a duplicate or stale packet, to be ignored. The RTP layer tracks the same numbers
 * for RTCP (rtp/sequence.ts); inside a session that count is handed down (`pushPayload(..., lost)`)
 * and used as is, so loss is computed once; the check here serves depacketizers used on their own.
 */

/** The counters the check keeps (a subset of every depacketizer's `stats`). */
export interface PacketCounters {
  packets: number;
  lostPackets: number;
  oldPackets: number;
}

/** `SequenceGap.next` result for a packet behind the expected one. */
export const OLD_PACKET = -1;

export class SequenceGap {
  private readonly stats: PacketCounters;
  /** Sequence number expected next; -1 before the first packet (and after `reset`). */
  private expected = -1;

  constructor(stats: PacketCounters) {
    this.stats = stats;
  }

  /**
   * Counts the packet and checks its sequence number, or takes `given` (the loss the caller's receive
   * path counted right before this packet) as the answer. Returns OLD_PACKET (counted in `oldPackets`:
   * drop the packet), else how many packets were lost right before it (counted in `lostPackets`;
   * 0 when in order and for the first packet).
   */
  next(seq: number, given?: number): number {
    const stats = this.stats;
    stats.packets++;
    if (given !== undefined) {
      // The caller's receive path already tracked the sequence (duplicates and stale packets dropped).
      stats.lostPackets += given;
      this.expected = (seq + 1) & 0xffff;
      return given;
    }
    let lost = 0;
    if (this.expected >= 0) {
      lost = (seq - this.expected) & 0xffff;
      if (lost >= 0x8000) {
        stats.oldPackets++;
        return OLD_PACKET;
      }
      stats.lostPackets += lost;
    }
    this.expected = (seq + 1) & 0xffff;
    return lost;
  }

  /** Forgets the expected number: the next packet is taken as the first. */
  reset(): void {
    this.expected = -1;
  }
}
