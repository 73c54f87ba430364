/**
 * What `camstream dump` reports, one record per thing seen on the wire, and its two renderings: a
 * readable line (or block, for RTSP/HTTP messages) and one JSON object per line. The JSON shape is the
 * contract documented in docs/dump-schema.md and checked by DUMP_SCHEMA (src/debug/schema.ts).
 *
 * Times `t` are milliseconds since 1970 (receive/send time from the driver or the capture).
 */
import type { NalInfo, RtcpInfo } from './describe.js';

interface Base {
  /** Milliseconds since 1970. */
  t: number;
  /** Connection number (per tap). */
  conn: number;
}

export type DumpRecord =
  | (Base & { type: 'open'; protocol: 'tcp' | 'udp'; kind: string; local: string; remote: string })
  | (Base & { type: 'close' })
  | (Base & {
      type: 'message';
      dir: 'in' | 'out';
      /** Request or status line, credentials redacted. */
      startLine: string;
      headers: [string, string][];
      /** Text body (redacted), when there is one and it is text. */
      body?: string;
      bodyBytes: number;
    })
  | (Base & {
      type: 'rtp';
      dir: 'in' | 'out';
      /** Interleaved channel (RFC 2326 §10.12), null over UDP. */
      channel: number | null;
      track: number | null;
      pt: number;
      seq: number;
      ts: number;
      marker: boolean;
      ssrc: string;
      /** Whole packet. */
      size: number;
      payloadSize: number;
      nal?: NalInfo;
    })
  | (Base & { type: 'rtcp'; dir: 'in' | 'out'; channel: number | null; track: number | null; size: number; packets: RtcpInfo[] })
  | (Base & {
      type: 'loss' | 'reorder' | 'duplicate';
      channel: number | null;
      track: number | null;
      ssrc: string;
      /** Sequence number expected next. */
      expected: number;
      got: number;
      /** loss: packets missing. */
      lost?: number;
    })
  | (Base & { type: 'resync' | 'warning'; dir: 'in' | 'out'; code: string; message: string; offset: number })
  | (Base & { type: 'frame'; track: number; codec: string; ts: number; seq: number; size: number; keyframe: boolean; nals?: string[]; loss: boolean })
  | (Base & { type: 'part'; index: number; contentType: string; size: number; contentLength?: number })
  | (Base & { type: 'dh'; format: string; kind: string; codec: string; keyframe: boolean; size: number; channel: number; sequence: number; time: string; width?: number; height?: number })
  | (Base & { type: 'body'; dir: 'in' | 'out'; size: number; text?: string });

export type DumpRecordType = DumpRecord['type'];

function clock(t: number): string {
  const d = new Date(t);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(11, 23) : String(t);
}

function arrow(dir: 'in' | 'out'): string {
  return dir === 'in' ? '<' : '>';
}

function nalText(n: NalInfo | undefined): string {
  if (!n) return '';
  if (n.fu) return ` ${n.name}(${n.nalName}) ${n.fu}`;
  if (n.count !== undefined) return ` ${n.name}[${n.count}: ${(n.names ?? []).join(',')}]`;
  return ` ${n.name}`;
}

function where(channel: number | null, track: number | null): string {
  return `${channel !== null ? ` ch${channel}` : ''}${track !== null ? ` track${track}` : ''}`;
}

/** The readable rendering: one line, or several for a message (head lines indented, then the body). */
export function formatRecord(r: DumpRecord): string {
  const p = `${clock(r.t)} #${r.conn}`;
  switch (r.type) {
    case 'open':
      return `${p} open ${r.protocol} ${r.kind} ${r.local} -> ${r.remote}`;
    case 'close':
      return `${p} close`;
    case 'message': {
      const lines = [`${p} ${arrow(r.dir)} ${r.startLine}`];
      for (const [k, v] of r.headers) lines.push(`    ${k}: ${v}`);
      if (r.body !== undefined) for (const l of r.body.replace(/\r?\n$/, '').split(/\r?\n/)) lines.push(`    | ${l}`);
      else if (r.bodyBytes > 0) lines.push(`    (${r.bodyBytes} body bytes)`);
      return lines.join('\n');
    }
    case 'rtp':
      return `${p} ${arrow(r.dir)} rtp${where(r.channel, r.track)} pt=${r.pt} seq=${r.seq} ts=${r.ts}${r.marker ? ' M' : ''} ssrc=${r.ssrc} size=${r.size}${nalText(r.nal)}`;
    case 'rtcp':
      return `${p} ${arrow(r.dir)} rtcp${where(r.channel, r.track)} size=${r.size} ${r.packets.map(rtcpText).join(' | ')}`;
    case 'loss':
      return `${p} ! loss${where(r.channel, r.track)} ssrc=${r.ssrc} expected seq ${r.expected}, got ${r.got} (${r.lost} lost)`;
    case 'reorder':
      return `${p} ! reorder${where(r.channel, r.track)} ssrc=${r.ssrc} seq ${r.got} arrived late (expected ${r.expected})`;
    case 'duplicate':
      return `${p} ! duplicate${where(r.channel, r.track)} ssrc=${r.ssrc} seq ${r.got}`;
    case 'resync':
    case 'warning':
      return `${p} ! ${r.type} ${arrow(r.dir)} ${r.code} at byte ${r.offset}: ${r.message}`;
    case 'frame':
      return `${p} frame track${r.track} ${r.codec} ts=${r.ts} seq=${r.seq} size=${r.size}${r.keyframe ? ' key' : ''}${r.loss ? ' LOSS' : ''}${r.nals ? ` [${r.nals.join(',')}]` : ''}`;
    case 'part':
      return `${p} < part #${r.index} ${r.contentType || '(no type)'} size=${r.size}${r.contentLength !== undefined && r.contentLength !== r.size ? ` (declared ${r.contentLength})` : ''}`;
    case 'dh':
      return `${p} < ${r.format} ${r.kind} ${r.codec}${r.keyframe ? ' key' : ''} ch${r.channel} seq=${r.sequence} size=${r.size}${r.width ? ` ${r.width}x${r.height}` : ''} time=${r.time}`;
    case 'body':
      return `${p} ${arrow(r.dir)} body ${r.size} bytes${r.text !== undefined ? `\n${r.text.replace(/\r?\n$/, '').split(/\r?\n/).map((l) => `    | ${l}`).join('\n')}` : ''}`;
  }
}

function rtcpText(x: RtcpInfo): string {
  switch (x.kind) {
    case 'sr':
      return `SR ssrc=${x.ssrc} ntp=${x.ntp} rtp=${x.rtpTime} packets=${x.packets} octets=${x.octets}${x.reports.length ? ` reports=${x.reports.length}` : ''}`;
    case 'rr':
      return `RR ssrc=${x.ssrc}${x.reports.map((b) => ` [of ${b.ssrc}: lost ${b.cumulativeLost} (${b.fractionLost}/256), highest ${b.highestSeq}, jitter ${b.jitter}]`).join('')}`;
    case 'sdes':
      return `SDES${x.chunks.map((c) => ` ssrc=${c.ssrc}${c.cname !== undefined ? ` cname=${c.cname}` : ''}`).join('')}`;
    case 'bye':
      return `BYE ${x.ssrcs.join(',')}${x.reason ? ` "${x.reason}"` : ''}`;
    default:
      return `PT${x.pt} (${x.size} bytes)`;
  }
}

/** The JSON rendering: one line, no trailing newline. */
export function jsonRecord(r: DumpRecord): string {
  return JSON.stringify(r);
}
