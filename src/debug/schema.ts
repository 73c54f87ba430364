/**
 * JSON Schema (draft 2020-12) of one `camstream dump --json` line. docs/dump-schema.md explains each
 * field; test/debug/schema.test.ts validates real dump output against this object.
 */
type Schema = Record<string, unknown>;

const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const dir = { enum: ['in', 'out'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

function record(type: string | string[], props: Record<string, Schema>, required: string[]): Schema {
  return {
    type: 'object',
    properties: { type: Array.isArray(type) ? { enum: type } : { const: type }, t: num, conn: int, ...props },
    required: ['type', 't', 'conn', ...required],
    additionalProperties: false,
  };
}

const nal: Schema = {
  type: 'object',
  properties: {
    type: int,
    name: str,
    fu: { enum: ['start', 'middle', 'end', 'start-end'] },
    nalType: int,
    nalName: str,
    count: int,
    names: { type: 'array', items: str },
  },
  required: ['type', 'name'],
  additionalProperties: false,
};

const block: Schema = {
  type: 'object',
  properties: { ssrc: str, fractionLost: int, cumulativeLost: int, highestSeq: int, jitter: int, lsr: int, dlsr: int },
  required: ['ssrc', 'fractionLost', 'cumulativeLost', 'highestSeq', 'jitter', 'lsr', 'dlsr'],
  additionalProperties: false,
};

const rtcpPacket: Schema = {
  oneOf: [
    { type: 'object', properties: { kind: { const: 'sr' }, ssrc: str, ntp: str, rtpTime: int, packets: int, octets: int, reports: { type: 'array', items: block } }, required: ['kind', 'ssrc', 'ntp', 'rtpTime', 'packets', 'octets', 'reports'], additionalProperties: false },
    { type: 'object', properties: { kind: { const: 'rr' }, ssrc: str, reports: { type: 'array', items: block } }, required: ['kind', 'ssrc', 'reports'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        kind: { const: 'sdes' },
        chunks: {
          type: 'array',
          items: {
            type: 'object',
            properties: { ssrc: str, cname: str, items: { type: 'array', items: { type: 'object', properties: { type: int, value: str }, required: ['type', 'value'], additionalProperties: false } } },
            required: ['ssrc', 'items'],
            additionalProperties: false,
          },
        },
      },
      required: ['kind', 'chunks'],
      additionalProperties: false,
    },
    { type: 'object', properties: { kind: { const: 'bye' }, ssrcs: { type: 'array', items: str }, reason: str }, required: ['kind', 'ssrcs'], additionalProperties: false },
    { type: 'object', properties: { kind: { const: 'other' }, pt: int, size: int }, required: ['kind', 'pt', 'size'], additionalProperties: false },
  ],
};

export const DUMP_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://camstream.invalid/dump-record.json',
  title: 'camstream dump --json record',
  oneOf: [
    record('open', { protocol: { enum: ['tcp', 'udp'] }, kind: str, local: str, remote: str }, ['protocol', 'kind', 'local', 'remote']),
    record('close', {}, []),
    record(
      'message',
      { dir, startLine: str, headers: { type: 'array', items: { type: 'array', items: str, minItems: 2, maxItems: 2 } }, body: str, bodyBytes: int },
      ['dir', 'startLine', 'headers', 'bodyBytes'],
    ),
    record(
      'rtp',
      { dir, channel: nullableInt, track: nullableInt, pt: int, seq: int, ts: int, marker: bool, ssrc: str, size: int, payloadSize: int, nal },
      ['dir', 'channel', 'track', 'pt', 'seq', 'ts', 'marker', 'ssrc', 'size', 'payloadSize'],
    ),
    record('rtcp', { dir, channel: nullableInt, track: nullableInt, size: int, packets: { type: 'array', items: rtcpPacket } }, ['dir', 'channel', 'track', 'size', 'packets']),
    record(['loss', 'reorder', 'duplicate'], { channel: nullableInt, track: nullableInt, ssrc: str, expected: int, got: int, lost: int }, ['channel', 'track', 'ssrc', 'expected', 'got']),
    record(['resync', 'warning'], { dir, code: str, message: str, offset: int }, ['dir', 'code', 'message', 'offset']),
    record('frame', { track: int, codec: str, ts: int, seq: int, size: int, keyframe: bool, nals: { type: 'array', items: str }, loss: bool }, ['track', 'codec', 'ts', 'seq', 'size', 'keyframe', 'loss']),
    record('part', { index: int, contentType: str, size: int, contentLength: int }, ['index', 'contentType', 'size']),
    record('dh', { format: str, kind: str, codec: str, keyframe: bool, size: int, channel: int, sequence: int, time: str, width: int, height: int }, ['format', 'kind', 'codec', 'keyframe', 'size', 'channel', 'sequence', 'time']),
    record('body', { dir, size: int, text: str }, ['dir', 'size']),
  ],
};
