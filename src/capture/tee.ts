/** One WireTap that shows everything to several (a capture file and `dump` at once). */
import type { WireConnection, WireEndpoint, WireTap } from './tap.js';

export function teeTap(...taps: (WireTap | undefined)[]): WireTap | undefined {
  const list = taps.filter((t): t is WireTap => t !== undefined);
  if (list.length <= 1) return list[0];
  return {
    open(c: WireConnection, t: number): void {
      for (const x of list) x.open(c, t);
    },
    data(id: number, d: 'in' | 'out', b: Uint8Array, t: number, peer?: WireEndpoint): void {
      for (const x of list) x.data(id, d, b, t, peer);
    },
    close(id: number, t: number): void {
      for (const x of list) x.close(id, t);
    },
  };
}
