/**
 * The ONVIF replay RTP header extension (ONVIF Streaming Specification §6.3, "RTP header
 * extension"): every packet of a playback carries the absolute (NTP, UTC) time of its access unit and
 * a few flags, so a client can show the recording time whatever the direction or speed of playback.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            0xABAC             |          length (>= 3)        |   RFC 3550 §5.3.1 header
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   NTP timestamp, seconds since 1900           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   NTP timestamp, fraction                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C|E|D|T|  mbz  |     CSeq      |            padding (0)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * - NTP timestamp: when the access unit was recorded (RFC 5905 format, UTC).
 * - C (clean point): the access unit is a sync point (a key frame): decoding may start here.
 * - E (end of contiguous section): the last access unit of a contiguous run of recorded data
 *   (the next one, if any, comes after a gap in the recording).
 * - D (discontinuity): data was skipped before this access unit: a gap in the recording, a seek, or
 *   in reverse playback the jump back to the previous GOP.
 * - T (terminal): the last access unit of the requested range; nothing follows (newer editions of
 *   the specification; older servers leave it 0).
 * - mbz: must be zero; a reader ignores it (kept for diagnostics).
 * - CSeq: the low byte of the CSeq of the PLAY request this data answers, so packets still in flight
 *   from before a seek can be told from the new ones.
 *
 * When other extensions are present the replay one comes first and `length` covers all of them:
 * the reader takes the first 12 bytes and ignores the rest.
 */
import { ProtocolError } from '../errors.js';
import { NTP_UNIX_OFFSET, ntpToUnixMs } from './rtcp.js';

export const ONVIF_REPLAY_PROFILE = 0xabac;
/** Bytes of extension data (after the 4-byte extension header): 3 words. */
export const ONVIF_REPLAY_LENGTH = 12;

export const REPLAY_C = 0x80;
export const REPLAY_E = 0x40;
export const REPLAY_D = 0x20;
export const REPLAY_T = 0x10;

export interface OnvifReplayInfo {
  ntpSeconds: number;
  ntpFraction: number;
  /** The NTP timestamp as milliseconds since the Unix epoch. */
  wallClockMs: number;
  cleanPoint: boolean;
  endOfSection: boolean;
  discontinuity: boolean;
  terminal: boolean;
  /** Low byte of the PLAY request's CSeq. */
  cseq: number;
  /** The 4 must-be-zero bits as received. */
  mbz: number;
}

export interface OnvifReplayFields {
  /** Absolute time of the access unit, ms since the Unix epoch. */
  wallClockMs: number;
  cleanPoint?: boolean;
  endOfSection?: boolean;
  discontinuity?: boolean;
  terminal?: boolean;
  cseq: number;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Reads the replay extension from extension data `buf[offset, offset + length)` whose profile is
 * `profile` (an `RtpPacketView`'s `extensionProfile/extensionOffset/extensionLength`). Returns
 * undefined for any other profile (or none, -1); throws `RTP_BAD_EXTENSION` when the profile is
 * 0xABAC but the data is shorter than 12 bytes.
 */
export function parseOnvifReplay(profile: number, buf: Uint8Array, offset: number, length: number, streamOffset = -1): OnvifReplayInfo | undefined {
  if (profile !== ONVIF_REPLAY_PROFILE) return undefined;
  if (length < ONVIF_REPLAY_LENGTH || offset < 0 || offset + length > buf.length) {
    throw new ProtocolError('RTP_BAD_EXTENSION', `ONVIF replay extension of ${length} bytes (needs ${ONVIF_REPLAY_LENGTH})`, {
      offset: streamOffset,
      bytes: buf.subarray(Math.max(0, offset - 4), Math.min(buf.length, offset + length)),
    });
  }
  const ntpSeconds = u32(buf, offset);
  const ntpFraction = u32(buf, offset + 4);
  const flags = buf[offset + 8]!;
  return {
    ntpSeconds,
    ntpFraction,
    wallClockMs: ntpToUnixMs(ntpSeconds, ntpFraction),
    cleanPoint: (flags & REPLAY_C) !== 0,
    endOfSection: (flags & REPLAY_E) !== 0,
    discontinuity: (flags & REPLAY_D) !== 0,
    terminal: (flags & REPLAY_T) !== 0,
    cseq: buf[offset + 9]!,
    mbz: flags & 0x0f,
  };
}

/** [seconds since 1900, 2^-32 fraction] for ms since the Unix epoch (RFC 5905 §6). */
export function unixMsToNtp(ms: number): [number, number] {
  if (!Number.isFinite(ms)) throw new ProtocolError('INVALID_ARGUMENT', `time ${ms} is not finite`);
  const totalSeconds = Math.floor(ms / 1000);
  const rest = ms - totalSeconds * 1000;
  let seconds = totalSeconds + NTP_UNIX_OFFSET;
  let frac = Math.round((rest / 1000) * 0x100000000);
  if (frac >= 0x100000000) {
    frac -= 0x100000000;
    seconds += 1;
  }
  if (seconds < 0 || seconds > 0xffffffff) throw new ProtocolError('INVALID_ARGUMENT', `time ${ms} outside the NTP era 0`);
  return [seconds >>> 0, frac >>> 0];
}

/** Writes the 16 bytes (header + data) of a replay extension at `target[offset]`. */
export function writeOnvifReplay(target: Uint8Array, offset: number, f: OnvifReplayFields): void {
  const [sec, frac] = unixMsToNtp(f.wallClockMs);
  const dv = new DataView(target.buffer, target.byteOffset, target.byteLength);
  dv.setUint16(offset, ONVIF_REPLAY_PROFILE);
  dv.setUint16(offset + 2, ONVIF_REPLAY_LENGTH / 4);
  dv.setUint32(offset + 4, sec);
  dv.setUint32(offset + 8, frac);
  target[offset + 12] = (f.cleanPoint ? REPLAY_C : 0) | (f.endOfSection ? REPLAY_E : 0) | (f.discontinuity ? REPLAY_D : 0) | (f.terminal ? REPLAY_T : 0);
  target[offset + 13] = f.cseq & 0xff;
  target[offset + 14] = 0;
  target[offset + 15] = 0;
}

/**
 * A copy of an RTP packet (no extension of its own) with the replay extension inserted after the
 * fixed header and CSRCs and the X bit set. For servers and tests; one allocation.
 */
export function withOnvifReplay(packet: Uint8Array, f: OnvifReplayFields): Uint8Array {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) throw new ProtocolError('INVALID_ARGUMENT', 'not an RTP packet');
  if (packet[0]! & 0x10) throw new ProtocolError('INVALID_ARGUMENT', 'RTP packet already has a header extension');
  const head = 12 + (packet[0]! & 0x0f) * 4;
  if (head > packet.length) throw new ProtocolError('INVALID_ARGUMENT', 'RTP CSRC list past the end');
  const out = new Uint8Array(packet.length + 4 + ONVIF_REPLAY_LENGTH);
  out.set(packet.subarray(0, head), 0);
  out[0]! |= 0x10;
  writeOnvifReplay(out, head, f);
  out.set(packet.subarray(head), head + 4 + ONVIF_REPLAY_LENGTH);
  return out;
}
