/**
 * `camstream record <rtsp url> -o out.mp4|out.mov`: video and audio (where the container carries
 * it) through the recording timeline into fragmented MP4 / QuickTime files, with reconnects (on by
 * default) and optional wall-clock aligned segments. Also `-o out.aac` (the AAC track as ADTS).
 */
import { createWriteStream } from 'node:fs';
import { RtspClient, type RtspFrame, type RtspTrack } from '../../client/rtsp-client.js';
import { ReconnectingRtspClient, type ReconnectEvent } from '../../client/reconnect.js';
import { decodeH264Sprop, decodeSpropNalus } from '../../codec/h264/sprop.js';
import { decodeConfigHex, parseAudioSpecificConfig, writeAdtsHeader } from '../../codec/aac/config.js';
import { ProtocolError } from '../../errors.js';
import { Mp4Recorder, type RecorderSummary, type RecorderTrack } from '../../mp4/recorder.js';
import type { Mp4Container } from '../../mp4/writer.js';
import { redactUrl } from '../../rtsp/url.js';
import type { CliIo } from '../io.js';
import { ProgressLine } from '../progress.js';

export interface RecordMp4Options {
  out: string;
  durationS?: number;
  frames?: number;
  audio: boolean;
  reconnect: boolean;
  segmentS?: number;
  faststart?: boolean;
  signal?: AbortSignal;
}

export interface RecordMp4Result {
  files: string[];
  frames: number;
  videoFrames: number;
  bytes: number;
  reconnects: number;
  discontinuities: number;
  repairs: number;
  dropped: number;
  lost: number;
  seconds: number;
  tracks: string[];
}

/** The writer's configuration for a track, or a reason it is left out of this container. */
export function trackConfig(t: RtspTrack, container: Mp4Container): RecorderTrack | string {
  switch (t.codec) {
    case 'h264': {
      const sp = t.fmtp['sprop-parameter-sets'] ? decodeH264Sprop(t.fmtp['sprop-parameter-sets']) : undefined;
      return { clockRate: t.clockRate, config: { codec: 'h264', sps: sp?.sps, pps: sp?.pps ? [sp.pps] : undefined } };
    }
    case 'h265': {
      const f = t.fmtp;
      const list = (v: string | undefined): Uint8Array[] | undefined => (v ? decodeSpropNalus(v) : undefined);
      return { clockRate: t.clockRate, config: { codec: 'h265', vps: list(f['sprop-vps']), sps: list(f['sprop-sps']), pps: list(f['sprop-pps']) } };
    }
    case 'aac': {
      if (!t.fmtp.config) return 'AAC without a config in the SDP';
      return { clockRate: t.clockRate, config: { codec: 'aac', config: decodeConfigHex(t.fmtp.config), timescale: t.clockRate } };
    }
    case 'pcma':
    case 'pcmu':
      if (container !== 'mov') return `${t.codec === 'pcma' ? 'G.711 A-law' : 'G.711 µ-law'} cannot be carried in .mp4 (record to .mov to keep it)`;
      return { clockRate: t.clockRate, config: { codec: t.codec, sampleRate: t.clockRate, channels: t.channels ?? 1 } };
    default:
      return `${t.codec} is not recorded to ${container === 'mov' ? '.mov' : '.mp4'}`;
  }
}

export async function recordRtspMp4(url: string, o: RecordMp4Options, io: CliIo): Promise<RecordMp4Result> {
  const container: Mp4Container = /\.mov$/i.test(o.out) ? 'mov' : 'mp4';
  const media = o.audio ? ['video', 'audio'] : ['video'];
  const sup = o.reconnect ? new ReconnectingRtspClient(url, { media, signal: o.signal }) : undefined;
  const single = sup ? undefined : new RtspClient(url, { media, signal: o.signal });
  const progress = new ProgressLine(io.stderr, `recording ${redactUrl(url)}`);
  const res: RecordMp4Result = { files: [], frames: 0, videoFrames: 0, bytes: 0, reconnects: 0, discontinuities: 0, repairs: 0, dropped: 0, lost: 0, seconds: 0, tracks: [] };
  let recorder: Mp4Recorder | undefined;
  let timer: NodeJS.Timeout | undefined;
  let keyframes = 0;
  const closeAll = (): void => void (sup ? sup.close() : single!.close());
  sup?.on('reconnect', (e: ReconnectEvent) => {
    res.reconnects++;
    recorder?.gap();
    io.stderr.write(`\nreconnected after ${(e.downMs / 1000).toFixed(1)} s (${e.reason}${e.error ? `: ${e.error.message}` : ''}; ${e.attempts} attempt${e.attempts > 1 ? 's' : ''})\n`);
  });
  try {
    const d = sup ? await sup.start() : await single!.start();
    const client = (): RtspClient => (sup ? sup.current! : single!);
    const setUp = client().rtsp.setupTracks;
    const index = new Map<number, number>();
    const tracks: RecorderTrack[] = [];
    for (const t of setUp.length ? setUp : d.tracks.filter((x) => x.supported)) {
      const c = trackConfig(t, container);
      if (typeof c === 'string') {
        io.stderr.write(`camstream record: track ${t.index} left out: ${c}\n`);
        continue;
      }
      index.set(t.index, tracks.length);
      tracks.push(c);
      res.tracks.push(t.codec);
    }
    if (!tracks.some((t) => t.config.codec === 'h264' || t.config.codec === 'h265')) {
      throw new ProtocolError('MP4_UNSUPPORTED', `no H.264 or H.265 video track to record (tracks: ${d.tracks.map((t) => t.codec).join(', ') || 'none'})`);
    }
    recorder = new Mp4Recorder({
      path: o.out,
      tracks,
      container,
      segmentSeconds: o.segmentS,
      faststart: o.faststart,
      onFile: (r) => {
        res.files.push(r.path);
        res.bytes += r.bytes;
      },
    });
    if (o.durationS) timer = setTimeout(closeAll, o.durationS * 1000);
    const frames: AsyncIterable<RtspFrame> = sup ? sup.frames() : single!.frames();
    for await (const f of frames) {
      const ti = index.get(f.track);
      if (ti === undefined) continue;
      if (f.discontinuity) res.discontinuities++;
      await recorder.push(ti, { data: f.data, nalus: f.nalus, keyframe: f.keyframe, timestamp: f.timestamp, wallClockMs: f.wallClockMs, sampleCount: (f as { sampleCount?: number }).sampleCount }, Date.now());
      res.frames++;
      if (f.mediaType === 'video') {
        res.videoFrames++;
        if (f.keyframe) keyframes++;
      }
      const c = sup ? sup.current : single;
      if (c) res.lost = c.stats.lostPackets;
      progress.update({ frames: res.videoFrames, bytes: res.bytes, losses: res.discontinuities, keyframes });
      if (o.frames && res.videoFrames >= o.frames) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    await (sup ? sup.close() : single!.close());
    if (recorder) {
      const s: RecorderSummary = await recorder.close();
      res.repairs = s.repairs;
      res.dropped = s.dropped;
      res.seconds = s.seconds;
    }
  }
  progress.finish({ frames: res.videoFrames, bytes: res.bytes, losses: res.discontinuities, keyframes }, `-> ${res.files.join(', ') || o.out}`);
  io.stderr.write(`${res.files.length} file${res.files.length === 1 ? '' : 's'} (${res.tracks.join(' + ')}), ${res.reconnects} reconnect${res.reconnects === 1 ? '' : 's'}, ${res.discontinuities} discontinuit${res.discontinuities === 1 ? 'y' : 'ies'}, ${res.repairs} timestamp repair${res.repairs === 1 ? '' : 's'}\n`);
  return res;
}

/** `-o out.aac`: the AAC track as ADTS frames (ISO/IEC 14496-3 §1.A.2). */
export async function recordRtspAac(url: string, o: { out: string; durationS?: number; frames?: number; signal?: AbortSignal }, io: CliIo): Promise<{ frames: number; bytes: number }> {
  const client = new RtspClient(url, { media: ['audio'], signal: o.signal });
  const file = createWriteStream(o.out);
  const res = { frames: 0, bytes: 0 };
  let timer: NodeJS.Timeout | undefined;
  try {
    const d = await client.start();
    const t = d.tracks.find((x) => x.codec === 'aac' && x.fmtp.config);
    if (!t) throw new ProtocolError('MP4_UNSUPPORTED', `no AAC audio track to record as .aac (tracks: ${d.tracks.map((x) => x.codec).join(', ') || 'none'})`);
    const cfg = parseAudioSpecificConfig(decodeConfigHex(t.fmtp.config!));
    if (o.durationS) timer = setTimeout(() => void client.close(), o.durationS * 1000);
    for await (const f of client.frames()) {
      if (f.track !== t.index) continue;
      const out = new Uint8Array(7 + f.data.length);
      writeAdtsHeader(out, 0, cfg, f.data.length);
      out.set(f.data, 7);
      if (!file.write(out)) await new Promise<void>((r) => file.once('drain', () => r()));
      res.frames++;
      res.bytes += out.length;
      if (o.frames && res.frames >= o.frames) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    await client.close();
    await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  io.stderr.write(`recorded ${res.frames} AAC frames (${res.bytes} bytes) -> ${o.out}\n`);
  return res;
}

/**
 * An HTTP DH stream (realmonitor / playBack / loadfile) to `.mp4` / `.mov`: the first video channel
 * (H.264/H.265) and, in `.mov`, its G.711 audio, through the recording timeline. The tracks are
 * those seen up to the first video keyframe. DH times are milliseconds: video is stamped on a
 * 90 kHz clock, audio on its sample rate; the DH wall clock (UTC) anchors `prft` (DHAV's is local
 * time with no zone, so it is not used).
 */
export async function recordHttpMp4(url: string, o: { out: string; durationS?: number; frames?: number; signal?: AbortSignal }, io: CliIo): Promise<number> {
  const { httpRequest, expectOk } = await import('../../client/http-client.js');
  const { parseHttpUrl } = await import('../../http/url.js');
  const { createDemuxer } = await import('../../dh/sniff.js');
  const container: Mp4Container = /\.mov$/i.test(o.out) ? 'mov' : 'mp4';
  const safe = parseHttpUrl(url).safe;
  const progress = new ProgressLine(io.stderr, `record ${safe}`);
  const pending: import('../../dh/types.js').DhFrame[] = [];
  const demux = createDemuxer({ frame: (f) => pending.push(f), event: () => undefined });
  let recorder: Mp4Recorder | undefined;
  let videoChannel: number | undefined;
  let audioIndex = -1;
  let audioRate = 8000;
  const early: import('../../dh/types.js').DhFrame[] = [];
  const stats = { frames: 0, bytes: 0, losses: 0, keyframes: 0 };
  const files: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stop = false;
  const feed = async (f: import('../../dh/types.js').DhFrame): Promise<void> => {
    if (!recorder) return;
    const video = f.kind === 'video';
    if (!video && audioIndex < 0) return;
    const rate = video ? 90000 : audioRate;
    const ts = Math.round((f.timestamp * rate) / 1000) % 0x100000000;
    await recorder.push(video ? 0 : audioIndex, { data: f.payload, keyframe: video ? f.keyframe : true, timestamp: ts, wallClockMs: f.format === 'dh' ? f.time : undefined, sampleCount: video ? undefined : f.payload.length / Math.max(1, f.channels) }, Date.now());
    if (video) {
      stats.frames++;
      stats.bytes += f.payload.length;
      if (f.keyframe) stats.keyframes++;
    }
  };
  /** The tracks: the first video keyframe, plus audio seen within 10 video frames of it (or whatever came, at the end). */
  const begin = async (force: boolean): Promise<void> => {
    const key = early.findIndex((x) => x.kind === 'video' && x.keyframe);
    if (key < 0) return;
    const after = early.slice(key);
    if (!force && !after.some((x) => x.kind === 'audio') && after.filter((x) => x.kind === 'video').length < 10) return;
    const first = early[key]!;
    const tracks: RecorderTrack[] = [{ clockRate: 90000, config: { codec: first.codec as 'h264' | 'h265' } }];
    const audio = after.find((x) => x.kind === 'audio');
    if (audio && (audio.codec === 'g711a' || audio.codec === 'g711u')) {
      if (container === 'mov') {
        audioRate = audio.sampleRate || 8000;
        audioIndex = tracks.length;
        tracks.push({ clockRate: audioRate, config: { codec: audio.codec === 'g711a' ? 'pcma' : 'pcmu', sampleRate: audioRate, channels: audio.channels || 1 } });
      } else {
        io.stderr.write(`camstream record: audio left out: G.711 cannot be carried in .mp4 (record to .mov to keep it)\n`);
      }
    } else if (audio) {
      io.stderr.write(`camstream record: audio left out: ${audio.codec} is not recorded from DH streams\n`);
    }
    recorder = new Mp4Recorder({ path: o.out, tracks, container, onFile: (r) => files.push(r.path) });
    early.length = 0;
    for (const e of after) {
      await feed(e);
      if (o.frames !== undefined && stats.frames >= o.frames) break;
    }
  };
  try {
    const res = await expectOk(await httpRequest(url, { signal: o.signal }));
    if (o.durationS !== undefined) timer = setTimeout(() => res.close(), o.durationS * 1000);
    for await (const chunk of res.body) {
      demux.push(chunk);
      for (const f of pending) {
        if (f.kind === 'video') {
          if (f.codec !== 'h264' && f.codec !== 'h265') continue;
          videoChannel ??= f.channel;
          if (f.channel !== videoChannel) continue;
        } else if (f.kind !== 'audio') continue;
        if (!recorder) {
          early.push(f);
          if (early.length > 512) early.shift();
          await begin(false);
        } else {
          await feed(f);
        }
        if (o.frames !== undefined && stats.frames >= o.frames) {
          stop = true;
          break;
        }
      }
      pending.length = 0;
      progress.update(stats);
      if (stop) break;
    }
    res.close();
    if (!recorder) await begin(true);
  } catch (e) {
    if (!(e instanceof ProtocolError && e.code === 'ABORTED')) {
      io.stderr.write(`camstream record: ${e instanceof Error ? e.message : String(e)}\n`);
      await recorder?.close();
      return 1;
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  const s = recorder ? await recorder.close() : undefined;
  progress.finish(stats, `-> ${files.join(', ') || o.out}`);
  io.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'}, ${s?.repairs ?? 0} timestamp repairs\n`);
  return 0;
}
