/**
 * H.264 RTP packetizer (RFC 6184, non-interleaved mode): single NAL unit packets, STAP-A for runs
 * of small NALs, FU-A for NALs over the payload size (the shared mechanism: ../nal-unit-packetizer.ts).
 * Strict writer: S and E never both set, R = 0, marker on the last packet of each access unit (§5.1).
 * Used by tests, benchmarks and the virtual camera.
 */
import { NalUnitPacketizer, type NalUnitPacketizerOptions } from '../nal-unit-packetizer.js';

export interface H264PacketizerOptions extends NalUnitPacketizerOptions {
  /** Aggregate consecutive small NALs into STAP-A (default true). */
  stapA?: boolean;
}

export class H264Packetizer extends NalUnitPacketizer {
  constructor(opts: H264PacketizerOptions = {}) {
    super(opts, 1, opts.stapA ?? true);
  }

  /** Packetizes one access unit (NAL units without start codes; empty ones skipped) into whole RTP packets. */
  packetize(nalus: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    return this.packetizeNalus(nalus.filter((n) => n.length > 0), timestamp);
  }

  /** STAP-A (§5.7.1): F is the OR of the aggregated F bits, NRI the maximum, type 24. */
  protected override aggregationHeader(pkt: Uint8Array, at: number, units: readonly Uint8Array[], i: number, j: number): void {
    let f = 0;
    let nri = 0;
    for (let k = i; k < j; k++) {
      const h = units[k]![0]!;
      f |= h & 0x80;
      nri = Math.max(nri, h & 0x60);
    }
    pkt[at] = f | nri | 24;
  }

  /** FU-A (§5.8): indicator F|NRI|28; the FU header carries the NAL type. */
  protected override fragmentHeader(nal: Uint8Array, pkt: Uint8Array, at: number): number {
    pkt[at] = (nal[0]! & 0xe0) | 28;
    return nal[0]! & 0x1f;
  }
}
