/**
 * `camstream`: the public API a user of the library needs (README.md "Public API").
 *
 * Entry points (package.json "exports"):
 * - `camstream`          this file: the clients, the DH/DHAV demuxer factory, errors, frame types.
 * - `camstream/parsers`  src/parsers.ts: the sans-IO layers underneath, for tools that bring their own bytes.
 * - `camstream/testing`  src/testing/index.ts: virtual cameras on loopback and the DH/DHAV muxers.
 *
 * To add a public name: export it in the section it belongs to (or add a section), list it in
 * test/package/exports.test.ts and in README.md "Public API". Internals (ByteQueue, HeadEndScanner,
 * pools, assemblers) are exported by no entry point.
 */
import type { createDemuxer } from './dh/sniff.js';

// ---- errors --------------------------------------------------------------------------------------
export { ProtocolError, isProtocolError } from './errors.js';
export type { ErrorCode, ErrorContext, ProtocolErrorInit } from './errors.js';

// ---- RTSP client ---------------------------------------------------------------------------------
export { RtspClient, VERSION } from './client/rtsp-client.js';
export type { RtspClientOptions, RtspTrack, RtspDescription, RtspFrame, RtspStats, RtspClientEvents } from './client/rtsp-client.js';
export { redactUrl } from './rtsp/url.js';

// ---- HTTP camera client --------------------------------------------------------------------------
export { CameraHttp, formatCameraTime } from './client/camera-http.js';
export type { CameraHttpOptions, HttpStream, MjpegFrame, MjpegStats, MjpegStream, DhStream, PlaybackControl, PlaybackSession, AudioChunk, PostAudioResult, StreamOptions, CgiAnswer, MjpegPartErrorPolicy, DhStreamOptions } from './client/camera-http.js';
export type { FindRecordingsOptions, RecordingSearch } from './client/camera-recordings.js';
export type { MediaFile, StoredFile, FindFileQuery } from './http/text/recordings.js';
export { httpRequest, expectOk, throwIfCameraError } from './client/http-client.js';
export type { HttpRequestOptions, HttpResponse } from './client/http-client.js';
export type { CameraError } from './http/text/camera-text.js';
export type { AttachEvent, AttachHeartbeat, AttachMessage, EventAction } from './http/events/attach-events.js';
export type { EventDataStatus, MotionStatus, IoStatus, IoInput, IoOutput, FaceRect, FaceStatus, TamperingStatus } from './http/events/eventdata.js';

// ---- DH / DHAV demuxing --------------------------------------------------------------------------
export { createDemuxer, sniff } from './dh/sniff.js';
export type { SniffResult, AutoDemuxer } from './dh/sniff.js';
export type { DhDemuxer } from './dh/dh-demuxer.js';
export type { DhavDemuxer } from './dh/dhav-demuxer.js';
export type { DhFrame, DhEvent, DhSink, DhStats, DhMeta, DhCodec, DhFormat, FrameKind, DhDemuxerOptions, DhTimeZone, DhEventFlags, DhGap } from './dh/types.js';
/** What `createDemuxer` returns: a DH, a DHAV or an auto-detecting demuxer (all push/end/stats). */
export type Demuxer = ReturnType<typeof createDemuxer>;

// ---- frames and codecs (types) -------------------------------------------------------------------
export type { AccessUnit, Frame, CodecName, LossMode } from './codec/types.js';
export type { AudioAccessUnit } from './codec/g711/depacketizer.js';

// ---- captures (pcapng), the wire tap, reading captures back ---------------------------------------
export type { WireTap, WireConnection, WireEndpoint } from './capture/tap.js';
export { PcapngCapture, MemorySink, REDACTION_NOTE } from './capture/capture.js';
export type { PcapngSink, PcapngCaptureOptions, PcapngCaptureStats } from './capture/capture.js';
export { openCaptureFile, rotatedName, FileSink } from './capture/file.js';
export type { CaptureFile, CaptureFileOptions } from './capture/file.js';
export { readPcap } from './capture/pcapng.js';
export type { PcapFile, PcapPacket, PcapInterface } from './capture/pcapng.js';
export { captureEvents, playEvents } from './capture/read.js';
export type { CaptureEvent } from './capture/read.js';
export { StreamRedactor, redactText, secretForms } from './capture/redact.js';
export type { RedactEmit, RedactorOptions } from './capture/redact.js';
// protocol debugging: dump records
export { DumpTap } from './debug/dump-tap.js';
export type { DumpOptions } from './debug/dump-tap.js';
export { formatRecord, jsonRecord } from './debug/records.js';
export type { DumpRecord, DumpRecordType } from './debug/records.js';
export { DUMP_SCHEMA } from './debug/schema.js';
export type { NalInfo, RtcpInfo, RtcpBlockInfo } from './debug/describe.js';
export { runDump } from './debug/run-dump.js';
export type { RunDumpOptions } from './debug/run-dump.js';
export { teeTap } from './capture/tee.js';
export { replayCapture } from './capture/replay.js';
export type { ReplayOptions, ReplayResult } from './capture/replay.js';
export { captureForUrl } from './capture/file.js';
// quirk policies and vendor profiles
export { DEFAULT_POLICIES, PROFILES, resolvePolicies, sessionOptions, fingerprint } from './rtsp/policies.js';
export type { QuirkPolicies, KeepaliveMethod, TeardownPolicy, ProfileName, Profile, CameraFacts, ProfileSuggestion } from './rtsp/policies.js';

// ---- MP4 / QuickTime recording --------------------------------------------------------------------
export { Mp4Writer, Mp4FileWriter, completeFragmentsLength } from './mp4/index.js';
export type { Mp4WriterOptions, Mp4TrackConfig, Mp4Sample, Mp4Sink, Mp4Chunk, Mp4ChunkKind, Mp4Container, Mp4WriterStats, Mp4FaststartPlan, ParameterSetMode, Mp4FileOptions, Mp4FileResult } from './mp4/index.js';
export { Timeline } from './timeline/index.js';
export type { TimelineTrack, TimelineOptions, TimelineInput, TimelineOutput, TimelineStats } from './timeline/index.js';
export { ReconnectingRtspClient, isPermanentError } from './client/reconnect.js';
export type { ReconnectPolicy, ReconnectingClientOptions, ReconnectEvent, RetryEvent, ReconnectStats, ReconnectingClientEvents } from './client/reconnect.js';

// ---- playback and two-way audio ---------------------------------------------------------------------
export { playbackUrl, fileStreamUrl } from './rtsp/playback.js';
export type { DeviceTimeZone, PlaybackUrlOptions } from './rtsp/playback.js';
export type { RangeInput, RangeHeader, MediaRange } from './rtsp/range.js';
export type { PlayOptions, PlayResponse } from './rtsp/session/types.js';
export type { OnvifReplayInfo } from './rtp/onvif-replay.js';
export { Backchannel, dahuaBackchannelUrl } from './client/backchannel.js';
export type { BackchannelOptions, TalkCodec } from './client/backchannel.js';
