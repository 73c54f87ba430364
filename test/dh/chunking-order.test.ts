/**
 * Events and offsets never depend on where the chunks are cut (found by the any-chunking property at
 * high run counts): a DHAV padding run closed by a byte that starts no packet.
 */
import { describe, expect, it } from 'vitest';
import { muxDhav } from '../support/dh-mux.js';
import { demux, digest } from './helpers.js';

describe('DHAV padding and resync order', () => {
  it('padding then garbage that begins with "s": the same events at every split point', () => {
    const packet = muxDhav([{ kind: 'video', payload: new Uint8Array(0), videoType: 2, dhavVideoCodec: 2, frameType: 1, sequence: 0 }]);
    const bytes = Buffer.concat([packet, Buffer.from([0xff, 0x73]), Buffer.alloc(31, 0xff)]);
    for (const kind of ['dhav', 'auto'] as const) {
      const whole = demux(kind, [bytes]);
      expect(whole.events.map((e) => e.type)).toEqual(['padding', 'resync']);
      for (let i = 1; i < bytes.length; i++) {
        expect(digest(demux(kind, [bytes.subarray(0, i), bytes.subarray(i)])), `${kind} split at ${i}`).toEqual(digest(whole));
      }
    }
  });
});
