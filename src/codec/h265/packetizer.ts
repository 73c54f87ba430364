/**
 * H.265 RTP packetizer (RFC 7798, no DONL): single NAL unit packets, APs for runs of small NALs,
 * FUs for NALs over the payload size (the shared mechanism: ../nal-unit-packetizer.ts). Strict
 * writer: S and E never both set, marker on the last packet of each access unit (§4.1). Used by
 * tests, benchmarks and the virtual camera.
 */
import { ProtocolError } from '../../errors.js';
import { NalUnitPacketizer, type NalUnitPacketizerOptions } from '../nal-unit-packetizer.js';

export interface H265PacketizerOptions extends NalUnitPacketizerOptions {
  /** Aggregate consecutive small NALs into APs (default true). */
  aggregate?: boolean;
}

export class H265Packetizer extends NalUnitPacketizer {
  constructor(opts: H265PacketizerOptions = {}) {
    super(opts, 2, opts.aggregate ?? true);
  }

  /** Packetizes one access unit (NAL units without start codes, >= 2 bytes each) into RTP packets. */
  packetize(nalus: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    for (const n of nalus) if (n.length < 2) throw new ProtocolError('INVALID_ARGUMENT', 'H.265 NAL unit shorter than its 2-byte header');
    return this.packetizeNalus(nalus, timestamp);
  }

  /** AP (§4.4.2): type 48; F = OR of the F bits, LayerId and TID = the lowest of the aggregated NALs. */
  protected override aggregationHeader(pkt: Uint8Array, at: number, units: readonly Uint8Array[], i: number, j: number): void {
    let f = 0;
    let layer = 63;
    let tid = 7;
    for (let k = i; k < j; k++) {
      const u = units[k]!;
      f |= u[0]! & 0x80;
      layer = Math.min(layer, ((u[0]! & 1) << 5) | (u[1]! >> 3));
      tid = Math.min(tid, u[1]! & 7);
    }
    pkt[at] = f | (48 << 1) | (layer >> 5);
    pkt[at + 1] = ((layer & 0x1f) << 3) | tid;
  }

  /** FU (§4.4.3): payload header = the NAL header with type 49; the FU header carries the NAL type. */
  protected override fragmentHeader(nal: Uint8Array, pkt: Uint8Array, at: number): number {
    pkt[at] = (nal[0]! & 0x81) | (49 << 1);
    pkt[at + 1] = nal[1]!;
    return (nal[0]! >> 1) & 0x3f;
  }
}
