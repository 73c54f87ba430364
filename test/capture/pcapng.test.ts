import { describe, expect, it } from 'vitest';
import { MemorySink, PcapngCapture, MAX_SEGMENT, REDACTION_NOTE } from '../../src/capture/capture.js';
import { captureEvents, type CaptureEvent } from '../../src/capture/read.js';
import { readPcap } from '../../src/capture/pcapng.js';
import { decodeFrame, TCP_SYN, TCP_FIN, ipBytes, formatIp } from '../../src/capture/frames.js';
import { ProtocolError } from '../../src/errors.js';
import type { WireConnection } from '../../src/capture/tap.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function streams(events: CaptureEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) if (e.type === 'data') out.set(`${e.id} ${e.direction}`, (out.get(`${e.id} ${e.direction}`) ?? '') + text(e.bytes));
  return out;
}

const rtspConn: WireConnection = { id: 1, protocol: 'tcp', kind: 'rtsp', local: { address: '127.0.0.1', port: 40000 }, remote: { address: '127.0.0.2', port: 554 } };

describe('PcapngCapture', () => {
  it('writes a section with the redaction note, one Ethernet interface, handshake, data and FIN; reads back the same streams', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink);
    cap.open(rtspConn, 1000);
    cap.data(1, 'out', enc('OPTIONS rtsp://127.0.0.2/a RTSP/1.0\r\nCSeq: 1\r\n\r\n'), 1001);
    cap.data(1, 'in', enc('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n$\x00\x00\x04abcd'), 1002.5);
    cap.close(1, 1003);
    const file = readPcap(sink.file());
    expect(file.comments[0]).toBe(REDACTION_NOTE);
    expect(file.userAppl).toBe('camstream');
    expect(file.interfaces).toEqual([{ linkType: 1, tsPerSecond: 1e6, name: 'camstream' }]);
    const segs = file.packets.map((p) => decodeFrame(p.data, p.linkType)!);
    // SYN, SYN-ACK, ACK, 2 data, FIN, FIN, ACK
    expect(segs.map((s) => s.flags)).toEqual([TCP_SYN, TCP_SYN | 0x10, 0x10, 0x18, 0x18, TCP_FIN | 0x10, TCP_FIN | 0x10, 0x10]);
    expect(file.packets[4]!.timeMs).toBeCloseTo(1002.5, 3);
    expect(segs[3]!.src).toBe('127.0.0.1');
    expect(segs[3]!.dstPort).toBe(554);
    // Sequence numbers: each side's next segment starts where its previous one ended; acks match.
    expect(segs[3]!.seq).toBe((segs[0]!.seq + 1) >>> 0);
    expect(segs[4]!.seq).toBe((segs[1]!.seq + 1) >>> 0);
    expect(segs[5]!.seq).toBe((segs[3]!.seq + segs[3]!.payload.length) >>> 0);
    expect(segs[4]!.ack).toBe(segs[5]!.seq);
    const ev = captureEvents(sink.file());
    expect(ev[0]).toMatchObject({ type: 'open', connection: { protocol: 'tcp', kind: 'rtsp', local: { address: '127.0.0.1', port: 40000 }, remote: { address: '127.0.0.2', port: 554 } } });
    expect(streams(ev)).toEqual(new Map([['1 out', 'OPTIONS rtsp://127.0.0.2/a RTSP/1.0\r\nCSeq: 1\r\n\r\n'], ['1 in', 'RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n$\x00\x00\x04abcd']]));
    expect(ev.at(-1)).toMatchObject({ type: 'close', id: 1 });
  });

  it('splits a chunk larger than one IPv4 packet into segments and reassembles it', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink);
    cap.open({ ...rtspConn, kind: 'http' }, 0);
    cap.data(1, 'out', enc('GET /video HTTP/1.1\r\nHost: x\r\n\r\n'), 1);
    const big = new Uint8Array(150_000).map((_, i) => (i * 7) & 0xff);
    const head = enc('HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=b\r\n\r\n');
    cap.data(1, 'in', Buffer.concat([head, big]), 2);
    const file = readPcap(sink.file());
    const sizes = file.packets.map((p) => decodeFrame(p.data, 1)!.payload.length).filter((n) => n > 0);
    expect(Math.max(...sizes)).toBe(MAX_SEGMENT);
    const ev = captureEvents(sink.file());
    const inBytes = Buffer.concat(ev.filter((e): e is Extract<CaptureEvent, { type: 'data' }> => e.type === 'data' && e.direction === 'in').map((e) => e.bytes));
    expect(inBytes.equals(Buffer.concat([head, big]))).toBe(true);
  });

  it('IPv6 endpoints and UDP datagrams (RTP/RTCP) with the real source of each datagram', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink);
    cap.open({ id: 7, protocol: 'udp', kind: 'rtp', local: { address: '::1', port: 5000 }, remote: { address: '::1', port: 6970 } }, 0);
    cap.data(7, 'in', Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x65), 1);
    cap.data(7, 'in', Uint8Array.of(0x80, 96, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x65), 2, { address: '::2', port: 6972 });
    const file = readPcap(sink.file());
    const segs = file.packets.map((p) => decodeFrame(p.data, 1)!);
    expect(segs.map((s) => [s.protocol, s.src, s.srcPort, s.dst, s.dstPort])).toEqual([
      ['udp', '::1', 6970, '::1', 5000],
      ['udp', '::2', 6972, '::1', 5000],
    ]);
    // RFC 8200 §8.1: a UDP checksum is mandatory over IPv6.
    const udp = file.packets[0]!.data.subarray(14 + 40);
    expect((udp[6]! << 8) | udp[7]!).not.toBe(0);
    const ev = captureEvents(sink.file());
    expect(ev[0]).toMatchObject({ type: 'open', connection: { protocol: 'udp', kind: 'rtp', local: { address: '::1', port: 5000 } } });
    expect(ev.filter((e) => e.type === 'data')).toHaveLength(2);
  });

  it('rotates by size: every file stands alone (section header, handshake leading into the current sequence numbers)', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink, { maxFileBytes: 4000 });
    cap.open(rtspConn, 0);
    cap.data(1, 'out', enc('PLAY rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\n\r\n'), 1);
    const frame = Buffer.concat([Buffer.from([0x24, 0, 0x03, 0xe8]), Buffer.alloc(1000, 0x80)]);
    for (let i = 0; i < 12; i++) cap.data(1, 'in', frame, 10 + i);
    expect(sink.files.length).toBeGreaterThan(2);
    let total = 0;
    for (let f = 0; f < sink.files.length; f++) {
      const bytes = sink.file(f);
      const file = readPcap(bytes);
      expect(file.comments[0]).toBe(REDACTION_NOTE);
      const first = decodeFrame(file.packets[0]!.data, 1)!;
      expect(first.flags).toBe(TCP_SYN);
      const ev = captureEvents(bytes);
      // No gap: the data of each file continues the handshake's sequence numbers.
      expect(ev.some((e) => e.type === 'gap')).toBe(false);
      for (const e of ev) if (e.type === 'data' && e.direction === 'in') total += e.bytes.length;
    }
    expect(total).toBe(12 * frame.length);
  });

  it('rotates by duration on the capture clock', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink, { maxFileDurationMs: 1000 });
    cap.open(rtspConn, 0);
    for (let t = 0; t <= 3500; t += 100) cap.data(1, 'in', Buffer.from([0x24, 0, 0, 1, 0x80]), t);
    expect(sink.files.length).toBe(4);
  });

  it('reader: a truncated or corrupt file is a CAPTURE_BAD_FILE ProtocolError with the offset', () => {
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink);
    cap.open(rtspConn, 0);
    cap.data(1, 'out', enc('OPTIONS * RTSP/1.0\r\n\r\n'), 1);
    const bytes = sink.file();
    let err: unknown;
    try {
      readPcap(bytes.subarray(0, bytes.length - 3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('CAPTURE_BAD_FILE');
    expect((err as ProtocolError).offset).toBeGreaterThan(0);
  });

  it('addresses: IPv4, IPv6, IPv4-mapped', () => {
    expect(formatIp(ipBytes('::ffff:10.1.2.3'))).toBe('10.1.2.3');
    expect(formatIp(ipBytes('fe80::1:2'))).toBe('fe80::1:2');
    expect(formatIp(ipBytes('[::1]'))).toBe('::1');
    expect(ipBytes('2001:db8::1').length).toBe(16);
  });
});
