/**
 * Reading a capture back as the byte streams a driver saw: TCP connections reassembled per direction,
 * UDP datagrams one by one, each with its capture time. The output is the WireTap call sequence, so a
 * capture can drive anything a live driver drives (`camstream replay`, `camstream dump --from FILE`,
 * tests).
 *
 * Works on camstream's own captures and on ordinary tcpdump/Wireshark captures of a camera session
 * (Ethernet, raw IP, loopback, Linux cooked; pcapng or classic pcap). TCP: the SYN sender is the client
 * (else the side that sends the first request); retransmitted bytes are dropped; a hole (bytes the
 * capture missed) is reported as a `gap` and the stream continues after it.
 */
import { readPcap, type PcapFile } from './pcapng.js';
import { decodeFrame, TCP_FIN, TCP_RST, TCP_SYN } from './frames.js';
import type { WireConnection, WireEndpoint, WireTap } from './tap.js';

export type CaptureEvent =
  | { type: 'open'; connection: WireConnection; timeMs: number }
  | { type: 'data'; id: number; direction: 'in' | 'out'; bytes: Uint8Array; timeMs: number; peer?: WireEndpoint }
  | { type: 'gap'; id: number; direction: 'in' | 'out'; bytes: number; timeMs: number }
  | { type: 'close'; id: number; timeMs: number };

interface Flow {
  conn: WireConnection;
  /** Next expected sequence number per direction (undefined until the first segment). */
  nextOut: number | undefined;
  nextIn: number | undefined;
  closed: boolean;
  finOut: boolean;
  finIn: boolean;
}

const RTSP_START = /^(OPTIONS|DESCRIBE|SETUP|PLAY|PAUSE|TEARDOWN|GET_PARAMETER|SET_PARAMETER|ANNOUNCE|RECORD|REDIRECT) \S+ RTSP\/1\.0/;
const HTTP_START = /^(GET|POST|PUT|HEAD|DELETE) \S+ HTTP\/1\.[01]/;

function guessKind(protocol: 'tcp' | 'udp', serverPort: number, first: Uint8Array | undefined, note: string | undefined): WireConnection['kind'] {
  const m = note ? /camstream connection \d+: (rtsp|http|rtp|rtcp) over/.exec(note) : null;
  if (m) return m[1] as WireConnection['kind'];
  if (protocol === 'udp') {
    if (first && first.length >= 2 && first[1]! >= 200 && first[1]! <= 207) return 'rtcp';
    return 'rtp';
  }
  if (first) {
    const text = Buffer.from(first.subarray(0, 64)).toString('latin1');
    if (RTSP_START.test(text) || text.startsWith('RTSP/1.0')) return 'rtsp';
    if (HTTP_START.test(text) || text.startsWith('HTTP/1.')) return 'http';
  }
  return serverPort === 554 || serverPort === 8554 || serverPort === 322 ? 'rtsp' : 'http';
}

/** The capture as WireTap events, in file order. */
export function captureEvents(input: Uint8Array | PcapFile): CaptureEvent[] {
  const file = input instanceof Uint8Array ? readPcap(input) : input;
  const flows = new Map<string, Flow>();
  const events: CaptureEvent[] = [];
  let nextId = 1;
  for (const p of file.packets) {
    const seg = decodeFrame(p.data, p.linkType);
    if (!seg) continue;
    const fwd = `${seg.protocol} ${seg.src} ${seg.srcPort} ${seg.dst} ${seg.dstPort}`;
    const rev = `${seg.protocol} ${seg.dst} ${seg.dstPort} ${seg.src} ${seg.srcPort}`;
    let flow = flows.get(fwd);
    let fromClient = true;
    if (!flow) {
      flow = flows.get(rev);
      fromClient = false;
    }
    if (flow && flow.closed && seg.protocol === 'tcp' && seg.flags & TCP_SYN && !(seg.flags & 0x10)) {
      // Port reuse: a new connection on the same 4-tuple.
      flows.delete(fromClient ? fwd : rev);
      flow = undefined;
    }
    if (!flow) {
      if (seg.protocol === 'tcp' && !(seg.flags & TCP_SYN) && seg.payload.length === 0) continue;
      // The SYN sender is the client; a SYN-ACK means we see the server's side first.
      const synAck = seg.protocol === 'tcp' && (seg.flags & (TCP_SYN | 0x10)) === (TCP_SYN | 0x10);
      let clientIsSrc = !synAck;
      if (seg.protocol === 'tcp' && !(seg.flags & TCP_SYN)) {
        // Mid-stream capture: a response or a server port says which side is which.
        const t = Buffer.from(seg.payload.subarray(0, 16)).toString('latin1');
        clientIsSrc = !(t.startsWith('RTSP/') || t.startsWith('HTTP/') || seg.payload[0] === 0x24 || seg.srcPort < seg.dstPort);
      }
      const noted = p.comment ? /client (\S+) port (\d+)/.exec(p.comment) : null;
      if (noted) clientIsSrc = Number(noted[2]) === seg.srcPort && (noted[1] === seg.src || seg.src === seg.dst || noted[1]!.endsWith(seg.src));
      else if (seg.protocol === 'udp') clientIsSrc = seg.srcPort >= seg.dstPort;
      const client: WireEndpoint = clientIsSrc ? { address: seg.src, port: seg.srcPort } : { address: seg.dst, port: seg.dstPort };
      const server: WireEndpoint = clientIsSrc ? { address: seg.dst, port: seg.dstPort } : { address: seg.src, port: seg.srcPort };
      const kind = guessKind(seg.protocol, server.port, seg.payload.length ? seg.payload : undefined, p.comment);
      flow = { conn: { id: nextId++, protocol: seg.protocol, local: client, remote: server, kind }, nextOut: undefined, nextIn: undefined, closed: false, finOut: false, finIn: false };
      flows.set(clientIsSrc ? fwd : rev, flow);
      fromClient = clientIsSrc;
      events.push({ type: 'open', connection: flow.conn, timeMs: p.timeMs });
    }
    const id = flow.conn.id;
    const direction = fromClient ? 'out' : 'in';
    if (seg.protocol === 'udp') {
      if (seg.payload.length) events.push({ type: 'data', id, direction, bytes: seg.payload, timeMs: p.timeMs });
      continue;
    }
    let seq = seg.seq;
    let payload = seg.payload;
    if (seg.flags & TCP_SYN) seq = (seq + 1) >>> 0;
    const key = fromClient ? 'nextOut' : 'nextIn';
    let next = flow[key];
    if (next === undefined) next = seq;
    if (payload.length > 0) {
      const delta = ((seq - next) | 0);
      if (delta < 0) {
        // Retransmission (whole or overlapping): keep only the new bytes.
        if (-delta >= payload.length) payload = payload.subarray(payload.length);
        else payload = payload.subarray(-delta);
        seq = next;
      } else if (delta > 0) {
        events.push({ type: 'gap', id, direction, bytes: delta, timeMs: p.timeMs });
      }
      if (payload.length > 0) {
        events.push({ type: 'data', id, direction, bytes: payload, timeMs: p.timeMs });
        next = (seq + payload.length) >>> 0;
      }
    } else if (seg.flags & TCP_SYN) next = seq;
    flow[key] = next;
    if (seg.flags & (TCP_FIN | TCP_RST)) {
      if (fromClient) flow.finOut = true;
      else flow.finIn = true;
      if ((flow.finOut && flow.finIn) || seg.flags & TCP_RST) {
        if (!flow.closed) events.push({ type: 'close', id, timeMs: p.timeMs });
        flow.closed = true;
      }
    }
  }
  return events;
}

/** Plays capture events into a WireTap (the same calls a live driver makes). */
export function playEvents(events: readonly CaptureEvent[], tap: WireTap): void {
  for (const e of events) {
    if (e.type === 'open') tap.open(e.connection, e.timeMs);
    else if (e.type === 'data') tap.data(e.id, e.direction, e.bytes, e.timeMs, e.peer);
    else if (e.type === 'close') tap.close(e.id, e.timeMs);
  }
}
