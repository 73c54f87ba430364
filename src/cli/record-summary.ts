/**
 * What `record` reports when it ends, whatever ended it (RTSP and HTTP alike): one summary line on
 * stderr, or with `--json` one object on stdout. The URL is redacted.
 */
import { ProtocolError } from '../errors.js';
import type { OutputKind } from './output.js';
import { formatStats } from './progress.js';

/**
 * Why a recording ended. The first five are a normal end (exit status 0): `end-of-stream` is a stream
 * that finished by its own framing (a file download, a playback range, an RTSP session the server
 * ended in order); `server-closed` is the connection dropping under a live stream.
 */
export type RecordEnd = 'duration' | 'frames' | 'signal' | 'output-closed' | 'end-of-stream' | 'server-closed' | 'timeout' | 'error';

export const NORMAL_ENDS: readonly RecordEnd[] = ['duration', 'frames', 'signal', 'output-closed', 'end-of-stream'];

export interface RecordSummary {
  /** The source, password replaced by `***`. */
  url: string;
  /** The output path, or `-` for stdout. */
  output: string;
  format: OutputKind;
  codec: string;
  width?: number;
  height?: number;
  frames: number;
  keyframes: number;
  /** Bytes written to the output. */
  bytes: number;
  /** Wall-clock seconds from the start of the attempt to its end. */
  durationS: number;
  fps: number;
  /** Output bits per second / 1000. */
  bitrateKbps: number;
  /** RTP packets the network lost and access units the depacketizer dropped (RTSP); resyncs (HTTP DH). */
  losses: { lostPackets: number; droppedUnits: number; resyncs: number };
  startTime: string;
  endTime: string;
  endReason: RecordEnd;
  /** A playback/download URL with a known length (HTTP `startTime`/`endTime`): how much of it the frames covered. */
  recording?: { coveredS: number; totalS: number };
  /** What ended it, for the abnormal ends. */
  error?: { code: string; message: string };
}

/** A summary being filled in while recording. */
export function newSummary(url: string, output: string, format: OutputKind, start: Date): RecordSummary {
  const t = start.toISOString();
  return {
    url,
    output,
    format,
    codec: '',
    frames: 0,
    keyframes: 0,
    bytes: 0,
    durationS: 0,
    fps: 0,
    bitrateKbps: 0,
    losses: { lostPackets: 0, droppedUnits: 0, resyncs: 0 },
    startTime: t,
    endTime: t,
    endReason: 'error',
  };
}

/** Sets the end fields (time, rates, reason, error). */
export function finishSummary(s: RecordSummary, end: Date, reason: RecordEnd, error?: unknown): RecordSummary {
  s.endTime = end.toISOString();
  s.durationS = Math.max(0, (end.getTime() - Date.parse(s.startTime)) / 1000);
  const secs = Math.max(s.durationS, 1e-3);
  s.fps = Math.round((s.frames / secs) * 100) / 100;
  s.bitrateKbps = Math.round(((s.bytes * 8) / secs / 1000) * 10) / 10;
  s.endReason = reason;
  if (error !== undefined && !NORMAL_ENDS.includes(reason)) {
    s.error = { code: error instanceof ProtocolError ? error.code : 'ERROR', message: error instanceof Error ? error.message : String(error) };
  }
  return s;
}

const REASON_TEXT: Record<RecordEnd, string> = {
  duration: 'duration reached',
  frames: 'frame count reached',
  signal: 'stopped by signal',
  'output-closed': 'output closed',
  'end-of-stream': 'end of stream',
  'server-closed': 'the server ended the stream',
  timeout: 'timeout',
  error: 'error',
};

/** The one-line summary for stderr. */
export function summaryLine(s: RecordSummary): string {
  const size = s.width ? ` ${s.width}x${s.height}` : '';
  const stats = formatStats({ frames: s.frames, bytes: s.bytes, losses: s.losses.droppedUnits + s.losses.resyncs, keyframes: s.keyframes }, s.durationS);
  const why = s.error ? `${REASON_TEXT[s.endReason]}: ${s.error.message}` : REASON_TEXT[s.endReason];
  const of = s.recording ? ` (${s.recording.coveredS.toFixed(1)} of ${s.recording.totalS.toFixed(1)} s of the recording)` : '';
  return `record ${s.url}: ${s.codec || '?'}${size}, ${stats}, ${s.losses.lostPackets} packets lost -> ${s.output}${of} (${why})\n`;
}
