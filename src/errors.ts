/**
 * The one error type at camstream's API boundary (DESIGN principle 6).
 *
 * Hot loops return numeric/string codes; the wrapping into an `Error` happens at the edge. Every
 * error carries a stable `code`, the absolute byte `offset` in the stream where the problem was
 * seen (so it can be found in a capture), free-form `context` (method, CSeq, channel, ssrc, seq, ...)
 * and a hex preview of at most 64 bytes. Credentials never appear here: callers pass redacted URLs.
 */
import { hexPreview } from './bytes/hex.js';

/**
 * Stable error codes. Grouped by layer; a code never changes meaning once released.
 * Add new codes at the end of their group.
 */
export type ErrorCode =
  // generic
  | 'LIMIT_EXCEEDED' // a peer-controlled size went over its cap
  | 'TRUNCATED' // the stream ended inside a unit
  | 'ABORTED' // AbortSignal fired
  | 'TIMEOUT' // connect/request/idle timeout
  | 'CONNECTION_CLOSED' // peer closed the transport
  | 'INVALID_ARGUMENT' // caller passed something unusable (bad URL, option)
  | 'INVALID_STATE' // a verb the session's state does not allow (play before setup, anything after close)
  | 'CONNECTION_REFUSED' // nothing listens there (ECONNREFUSED): distinct from a drop mid-stream
  | 'HOST_UNREACHABLE' // no route / name does not resolve (EHOSTUNREACH, ENETUNREACH, ENOTFOUND)
  | 'TLS_FAILED' // TLS handshake failed: certificate not verified (self-signed, wrong name) or protocol error
  // DH / DHAV
  | 'DH_RESYNC' // garbage skipped while hunting for the next packet magic
  | 'DH_BAD_LENGTH' // packet length impossible (below header+ext, over cap)
  | 'DH_BAD_EXTEND' // extend header record malformed (length 0, not x4, past area)
  | 'DH_CHECKSUM' // header checksum mismatch (reported, not fatal)
  | 'DH_BAD_TRAILER' // DHAV trailer missing or disagreeing with the header length
  | 'DH_TRUNCATED' // stream ended inside a packet
  | 'DH_SUBFRAME' // DHAV sub-frame pieces out of order / incomplete
  // message heads (RTSP/HTTP)
  | 'MSG_BAD_START_LINE'
  | 'MSG_BAD_HEADER'
  | 'MSG_HEAD_TOO_LARGE'
  | 'MSG_TOO_MANY_HEADERS'
  | 'MSG_BODY_TOO_LARGE'
  | 'MSG_BAD_CHUNK' // HTTP chunked encoding error
  // RTSP
  | 'RTSP_BAD_INTERLEAVED' // '$' frame malformed or oversize
  | 'RTSP_STATUS' // non-2xx answer (status in context)
  | 'RTSP_CSEQ_MISMATCH'
  | 'RTSP_BAD_SDP'
  | 'RTSP_BAD_TRANSPORT'
  | 'RTSP_NO_SESSION'
  | 'RTSP_UNSUPPORTED'
  | 'RTSP_REDIRECT_LOOP'
  | 'RTSP_RESYNC' // garbage skipped while hunting for the next '$' frame or 'RTSP/' response
  | 'RTSP_SESSION_NOT_FOUND' // 454: the server no longer knows the session (a reconnect layer starts a new one)
  | 'RTSP_BAD_RTP_INFO' // RTP-Info disagrees with the packets and is ignored (warning)
  | 'RTSP_BAD_HEADER' // a header value that does not follow its grammar (Range, Scale, Speed; context.header)
  | 'RTSP_BACKCHANNEL_BUSY' // the camera already has a talking client (one backchannel at a time)
  | 'AUTH_FAILED' // credentials refused (401 after sending them)
  | 'AUTH_UNSUPPORTED' // server offers no scheme we can do
  | 'AUTH_REQUIRED' // 401 and no credentials configured
  // RTP / RTCP
  | 'RTP_BAD_PACKET'
  | 'RTCP_BAD_PACKET'
  | 'RTP_BAD_EXTENSION' // an RTP header extension too short for its profile (ONVIF replay 0xABAC)
  // codecs
  | 'H264_BAD_PAYLOAD'
  | 'H264_UNSUPPORTED' // STAP-B, MTAP, FU-B (interleaved mode)
  | 'H264_FRAGMENT_LOST' // FU-A sequence broken: unit dropped/flagged
  | 'H264_BAD_SPS'
  | 'H265_BAD_PAYLOAD'
  | 'H265_FRAGMENT_LOST'
  | 'H265_UNSUPPORTED' // PACI (RFC 7798 §4.4.4)
  | 'H265_BAD_SPS'
  | 'JPEG_BAD_PAYLOAD'
  | 'JPEG_UNSUPPORTED' // RFC 2435 type other than 0/1/64/65, reserved Q
  | 'JPEG_FRAGMENT_LOST'
  | 'AAC_BAD_PAYLOAD'
  | 'AAC_FRAGMENT_LOST'
  | 'AAC_BAD_CONFIG' // fmtp config / AudioSpecificConfig unusable
  | 'AU_TOO_LARGE' // access unit over its cap
  // multipart / HTTP
  | 'MULTIPART_NO_BOUNDARY'
  | 'MULTIPART_BAD_DELIMITER'
  | 'MULTIPART_PART_TOO_LARGE'
  | 'MULTIPART_BAD_HEADERS'
  | 'HTTP_STATUS'
  | 'HTTP_CAMERA_ERROR' // the WV-V series HTTP API V2.40: 200 with body "Error\r\nErrorID=<n>, Detail=<text>"
  | 'HTTP_REDIRECT_LOOP'
  | 'HTTP_BAD_RESPONSE'
  // MP4 writer
  | 'MP4_UNSUPPORTED' // codec the chosen container cannot carry (G.711 in .mp4, JPEG), or no parameter sets
  | 'MP4_BAD_SAMPLE' // a sample the writer cannot use (empty, over the cap), reported and dropped
  | 'MP4_NON_MONOTONIC' // decode times not strictly increasing on a track (refused)
  | 'MP4_B_FRAMES' // presentation order differs from decode order: refused (no composition offsets)
  // captures (pcapng / pcap files read by replay and dump)
  | 'CAPTURE_BAD_FILE';

export interface ErrorContext {
  [key: string]: string | number | boolean | undefined;
}

export interface ProtocolErrorInit {
  /** Absolute byte offset in the stream (bytes pushed before the problem), -1 when not about bytes. */
  offset?: number;
  context?: ErrorContext;
  /** Bytes around the problem; at most 64 are kept, as hex. */
  bytes?: Uint8Array;
  /** Where in `bytes` the preview starts. */
  bytesStart?: number;
  cause?: unknown;
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly offset: number;
  readonly context: ErrorContext;
  /** Hex of up to 64 bytes at the problem, '' when none were given. */
  readonly preview: string;

  constructor(code: ErrorCode, message: string, init: ProtocolErrorInit = {}) {
    const offset = init.offset ?? -1;
    const where = offset >= 0 ? ` at byte ${offset}` : '';
    super(`${code}: ${message}${where}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.code = code;
    this.offset = offset;
    this.context = init.context ?? {};
    this.preview = init.bytes ? hexPreview(init.bytes, init.bytesStart ?? 0, 64) : '';
  }

  /** A JSON-friendly view (for `--json` CLI output and logs). */
  toJSON(): { name: string; code: ErrorCode; message: string; offset: number; context: ErrorContext; preview: string } {
    return { name: this.name, code: this.code, message: this.message, offset: this.offset, context: this.context, preview: this.preview };
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
