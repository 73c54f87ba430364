/**
 * What a pcapng capture costs next to ingest (README "Captures"): the RTSP-over-TCP H.264 receive path
 * (RtspStreamParser -> RtpPacketView -> H264Depacketizer, transient units) with and without a
 * PcapngCapture shown every chunk first (as RtspClient's `tap` does), and the capture alone. The capture
 * writes into a sink that only counts bytes (the file driver adds a buffered write of the same bytes).
 *
 * Input: a 1080p-like stream (SPS+PPS+IDR of 250 KB - 1 MB, then 24 P frames of 20-40 KB; 1 s GOPs),
 * packetized at 1400-byte payloads and interleaved (RFC 2326 §10.12), in 64 KiB chunks.
 */
import { H264Depacketizer } from '../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../src/codec/h264/packetizer.js';
import { RtpPacketView, RtpStatus } from '../src/rtp/rtp-packet.js';
import { RtspStreamParser } from '../src/rtsp/rtsp-parser.js';
import { PcapngCapture, type PcapngSink } from '../src/capture/capture.js';
import { fillRandom, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

const SPS = Buffer.from('6742c028da01e0089f97011000000300100000030320f1832a', 'hex');
const PPS = Buffer.from('68ce0fc8', 'hex');

function nal(next: () => number, header: number, size: number): Uint8Array {
  const u = Buffer.allocUnsafe(size);
  u[0] = header;
  fillRandom(u.subarray(1), next);
  for (let i = 2; i < size; i++) if (u[i] === 0 && u[i - 1] === 0) u[i] = 1;
  if (u[size - 1] === 0) u[size - 1] = 1;
  return u;
}

function stream(gops: number): { bytes: Uint8Array; units: number } {
  const next = xorshift32(0x1badb002);
  const pk = new H264Packetizer({ maxPayloadSize: 1400, ssrc: 7, initialSequenceNumber: 0 });
  const parts: Uint8Array[] = [];
  let ts = 0;
  let units = 0;
  for (let g = 0; g < gops; g++) {
    for (let f = 0; f < 25; f++) {
      const au = f === 0 ? [SPS, PPS, nal(next, 0x65, 250_000 + (next() % 750_001))] : [nal(next, 0x41, 20_000 + (next() % 20_001))];
      units++;
      for (const p of pk.packetize(au, (ts += 3600))) {
        const h = Buffer.from([0x24, 0, p.length >> 8, p.length & 0xff]);
        parts.push(h, p);
      }
    }
  }
  return { bytes: Buffer.concat(parts), units };
}

function ingest(onUnit: () => void): { push: (c: Uint8Array) => void; reset: () => void } {
  const view = new RtpPacketView();
  const d = new H264Depacketizer({ onUnit, onError: (e) => { throw e; } }, { transient: true });
  const parser = new RtspStreamParser({
    message: () => {
      throw new Error('unexpected message');
    },
    interleaved: (_ch, b) => {
      if (view.parse(b, 0, b.length) !== RtpStatus.Ok) throw new Error('bad RTP');
      d.pushPayload(view.data, view.payloadOffset, view.payloadOffset + view.payloadLength, view.timestamp, view.marker, view.sequenceNumber);
    },
    interleavedRange: (_ch, b, s, e) => {
      if (view.parse(b, s, e) !== RtpStatus.Ok) throw new Error('bad RTP');
      d.pushPayload(b, view.payloadOffset, view.payloadOffset + view.payloadLength, view.timestamp, view.marker, view.sequenceNumber);
    },
    error: (e) => {
      throw e;
    },
  });
  return { push: (c) => parser.push(c), reset: () => d.reset() };
}

/** A sink that keeps nothing: the capture's own work, not the disk's. */
class CountingSink implements PcapngSink {
  bytes = 0;
  write(b: Uint8Array): void {
    this.bytes += b.length;
    consume(b[b.length - 1]!);
  }
}

function newCapture(sink: CountingSink): PcapngCapture {
  const cap = new PcapngCapture(sink);
  cap.open({ id: 1, protocol: 'tcp', kind: 'rtsp', local: { address: '192.0.2.10', port: 50000 }, remote: { address: '192.0.2.1', port: 554 } }, 0);
  return cap;
}

export function cases(): BenchCase[] {
  const { bytes, units } = stream(6);
  const chunks = chunked(bytes);
  let got = 0;
  const onUnit = (): void => void got++;
  const a = ingest(onUnit);
  const b = ingest(onUnit);
  const sinkB = new CountingSink();
  const capB = newCapture(sinkB);
  const sinkC = new CountingSink();
  const capC = newCapture(sinkC);
  let t = 0;
  const check = (name: string, run: () => void, expectUnits: number, sink?: CountingSink): (() => void) => () => {
    got = 0;
    const before = sink?.bytes ?? 0;
    run();
    if (got !== expectUnits) throw new Error(`${name}: ${got} units, expected ${expectUnits}`);
    if (sink && sink.bytes - before < bytes.length) throw new Error(`${name}: capture wrote ${sink.bytes - before} bytes for ${bytes.length}`);
  };
  const ingestOnly = (): void => {
    a.reset();
    for (const c of chunks) a.push(c);
    consume(got);
  };
  const withCapture = (): void => {
    b.reset();
    for (const c of chunks) {
      capB.data(1, 'in', c, ++t);
      b.push(c);
    }
    consume(got);
  };
  const captureOnly = (): void => {
    for (const c of chunks) capC.data(1, 'in', c, ++t);
  };
  return [
    { name: 'capture: ingest only, RtspStreamParser + RTP + H.264 transient, 1080p-like, 64 KiB chunks', chunks, units, unitName: 'frames', fn: ingestOnly, verify: check('ingest', ingestOnly, units) },
    { name: 'capture: ingest + PcapngCapture of every chunk, 1080p-like, 64 KiB chunks', chunks, units, unitName: 'frames', fn: withCapture, verify: check('ingest+capture', withCapture, units, sinkB) },
    { name: 'capture: PcapngCapture alone (Ethernet/IP/TCP headers, redaction scan, EPB), 64 KiB chunks', chunks, units: chunks.length, unitName: 'chunks', fn: captureOnly, verify: check('capture', captureOnly, 0, sinkC) },
  ];
}
