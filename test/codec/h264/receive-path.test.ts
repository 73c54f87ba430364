import { describe, expect, it } from 'vitest';
import { H264Depacketizer, type H264DepacketizerOptions } from '../../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../../src/codec/h264/packetizer.js';
import { RtpPacketView, RtpStatus } from '../../../src/rtp/rtp-packet.js';
import { RtspStreamParser, type RtspSink } from '../../../src/rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeResponse } from '../../../src/rtsp/encode.js';
import { corpusAccessUnits, hex } from './support.js';

/**
 * The whole receive path (RtspStreamParser -> RtpPacketView -> H264Depacketizer), through the
 * parser's `interleaved` views and through its `interleavedRange` hot path: the same units, in
 * both output modes, whatever the chunking.
 */
function stream(): Buffer {
  const p = new H264Packetizer({ maxPayloadSize: 1400, initialSequenceNumber: 100, ssrc: 9 });
  const parts: Buffer[] = [];
  corpusAccessUnits()
    .slice(0, 30)
    .forEach((au, i) => {
      for (const pkt of p.packetize(au, i * 3600)) parts.push(encodeInterleaved(0, pkt));
      if (i % 10 === 5) parts.push(encodeResponse(200, 'OK', { CSeq: i, Session: '1' }), encodeInterleaved(1, Buffer.from('80c80006', 'hex')));
    });
  return Buffer.concat(parts);
}

function receive(bytes: Buffer, chunk: number, range: boolean, opts: H264DepacketizerOptions): { units: string[]; messages: number; rtcp: number } {
  const units: string[] = [];
  let messages = 0;
  let rtcp = 0;
  const d = new H264Depacketizer(
    {
      onUnit: (u) => units.push(`${u.timestamp}:${u.keyframe}:${hex(u.data)}`),
      onError: (e) => {
        throw e;
      },
    },
    opts,
  );
  const v = new RtpPacketView();
  const onFrame = (ch: number, buf: Uint8Array, s: number, e: number): void => {
    if (ch === 1) {
      rtcp++;
      return;
    }
    expect(v.parse(buf, s, e)).toBe(RtpStatus.Ok);
    d.pushPayload(buf, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  };
  const sink: RtspSink = {
    message: () => void messages++,
    interleaved: (ch, payload) => onFrame(ch, payload, 0, payload.length),
    error: (e) => {
      throw e;
    },
  };
  if (range) sink.interleavedRange = onFrame;
  const parser = new RtspStreamParser(sink);
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  parser.end();
  d.flush();
  return { units, messages, rtcp };
}

describe('receive path: RtspStreamParser -> RtpPacketView -> H264Depacketizer', () => {
  const bytes = stream();
  const copy = Buffer.from(bytes);
  const reference = receive(bytes, bytes.length, false, {});
  it('reference run delivers every unit, message and RTCP frame', () => {
    expect(reference.units.length).toBe(30);
    expect(reference.messages).toBe(3);
    expect(reference.rtcp).toBe(3);
  });
  for (const chunk of [1, 7, 1403, 4096, 65536]) {
    for (const range of [false, true]) {
      for (const transient of [false, true]) {
        it(`chunks of ${chunk}, ${range ? 'interleavedRange' : 'interleaved views'}, ${transient ? 'transient' : 'owned'}`, () => {
          expect(receive(bytes, chunk, range, { transient })).toEqual(reference);
          expect(bytes.equals(copy)).toBe(true);
        });
      }
    }
  }
});
