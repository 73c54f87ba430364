/**
 * `camstream/parsers`: the sans-IO layers under the clients (README.md "Public API"), for tools that
 * bring their own bytes: files, captures, fuzzers, other transports. Each takes bytes (and time) and
 * reports to a sink; none opens a socket or starts a timer (docs/architecture.md).
 *
 * To add a public name: export it in its layer's section, list it in test/package/exports.test.ts
 * and in README.md "Public API".
 */

// ---- RTSP/HTTP message heads ---------------------------------------------------------------------
export { Headers } from './message/headers.js';
export type { HeadersInit } from './message/headers.js';
export { parseHead, contentLength, HeadParser, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADER_COUNT } from './message/head-parser.js';
export type { MessageHead, ResponseHead, RequestHead, HeadLimits, HeadParseResult } from './message/head-parser.js';

// ---- RTSP ----------------------------------------------------------------------------------------
export { RtspStreamParser } from './rtsp/rtsp-parser.js';
export type { RtspMessage, RtspSink, RtspParserOptions } from './rtsp/rtsp-parser.js';
export { encodeRequest, encodeResponse, encodeInterleaved } from './rtsp/encode.js';
export { parseRtspUrl, redactUrl, stripCredentials, normalizeBase, resolveControl } from './rtsp/url.js';
export type { RtspUrl } from './rtsp/url.js';
export { parseSdp } from './rtsp/sdp.js';
export type { SessionDescription, MediaDescription, RtpMap, SdpConnection, SdpAttribute, SdpLimits } from './rtsp/sdp.js';
export { parseTransport, parseTransports, buildTransport, parseSession, parseRtpInfo, parsePublic, parseRange, contentBase } from './rtsp/headers.js';
export type { TransportSpec, TransportRequest, SessionHeader, RtpInfoEntry, RangeSpec } from './rtsp/headers.js';
// The RTSP session as a state machine (bytes and time in, effects out); RtspClient is its TCP/TLS driver.
export { RtspSession } from './rtsp/session/session.js';
export type { SessionState, EndReason, TrackTransport, ConnectTarget, RtspSessionOptions, RtspSessionSink, RtpInfoPolicy, SsrcPolicy } from './rtsp/session/types.js';

// ---- authentication (RTSP and HTTP) --------------------------------------------------------------
export { Authenticator, pickChallenge } from './auth/authenticator.js';
export type { Credentials, AuthenticatorOptions } from './auth/authenticator.js';
export { parseChallenges, parseWwwAuthenticate } from './auth/challenge.js';
export type { AuthChallenge } from './auth/challenge.js';

// ---- RTP / RTCP ----------------------------------------------------------------------------------
export { RtpPacketView, RtpStatus, rtpStatusText, parseRtpPacket, rtpError, buildRtpPacket, writeRtpHeader, RTP_HEADER_SIZE } from './rtp/rtp-packet.js';
export type { RtpHeaderFields } from './rtp/rtp-packet.js';
export { SequenceTracker, SeqEvent, TimestampExtender } from './rtp/sequence.js';
export { parseRtcp, tryParseRtcp, RtpClockMapper, buildReceiverReport, lastSrField, ntpToUnixMs } from './rtp/rtcp.js';
export type { RtcpPacket, RtcpSenderReport, RtcpReceiverReport, RtcpSdes, RtcpBye, RtcpOther, RtcpReportBlock, ReceiverReportInit } from './rtp/rtcp.js';

// ---- codecs: depacketizers, packetizers, parameter sets ------------------------------------------
export type { AccessUnit, Frame, CodecName, RtpPayloadPacket, AccessUnitSink, Depacketizer, LossMode } from './codec/types.js';
export { splitAnnexB, joinAnnexB, forEachAnnexBNal } from './codec/annex-b.js';
export { H264Depacketizer } from './codec/h264/depacketizer.js';
export type { H264DepacketizerOptions, H264DepacketizerStats } from './codec/h264/depacketizer.js';
export { H264Packetizer } from './codec/h264/packetizer.js';
export type { H264PacketizerOptions } from './codec/h264/packetizer.js';
export { parseH264Sps, buildAvcDecoderConfig, avc1CodecString } from './codec/h264/sps.js';
export type { H264SpsInfo } from './codec/h264/sps.js';
export { decodeH264Sprop, decodeSpropNalus } from './codec/h264/sprop.js';
export { H265Depacketizer } from './codec/h265/depacketizer.js';
export type { H265DepacketizerOptions, H265DepacketizerStats } from './codec/h265/depacketizer.js';
export { H265Packetizer } from './codec/h265/packetizer.js';
export type { H265PacketizerOptions } from './codec/h265/packetizer.js';
export { parseH265Sps, hvc1CodecString } from './codec/h265/sps.js';
export type { H265SpsInfo } from './codec/h265/sps.js';
export { G711Depacketizer } from './codec/g711/depacketizer.js';
export type { AudioAccessUnit, G711DepacketizerOptions, G711DepacketizerStats } from './codec/g711/depacketizer.js';
export { G711Packetizer } from './codec/g711/packetizer.js';
export type { G711PacketizerOptions } from './codec/g711/packetizer.js';
export { AacDepacketizer } from './codec/aac/depacketizer.js';
export type { AacDepacketizerOptions, AacDepacketizerStats } from './codec/aac/depacketizer.js';
export { AacPacketizer } from './codec/aac/packetizer.js';
export type { AacPacketizerOptions } from './codec/aac/packetizer.js';
export { parseAudioSpecificConfig, parseMpeg4GenericFmtp, writeAdtsHeader, AAC_SAMPLE_RATES } from './codec/aac/config.js';
export type { AudioSpecificConfig, Mpeg4GenericParams } from './codec/aac/config.js';
export { JpegDepacketizer } from './codec/jpeg/depacketizer.js';
export type { JpegDepacketizerOptions, JpegDepacketizerStats } from './codec/jpeg/depacketizer.js';
export { JpegPacketizer, parseJpegForRtp } from './codec/jpeg/packetizer.js';
export type { JpegPacketizerOptions, JpegScanInfo } from './codec/jpeg/packetizer.js';
export { rfc2435QuantTables } from './codec/jpeg/tables.js';

// ---- multipart/x-mixed-replace -------------------------------------------------------------------
export { MultipartParser } from './multipart/multipart-parser.js';
export type { MultipartPart, MultipartSink, MultipartOptions, MultipartStats } from './multipart/multipart-parser.js';
export { parseBoundary, boundaryFromContentType, isMultipart } from './multipart/boundary.js';

// ---- HTTP: chunked bodies, URLs, camera text formats, event decoders -----------------------------
export { ChunkedDecoder } from './http/chunked.js';
export type { ChunkedLimits } from './http/chunked.js';
export { HttpResponseParser, parseContentLength } from './http/response-parser.js';
export type { HttpResponseSink, HttpResponseParserOptions, HttpBodyFraming } from './http/response-parser.js';
export { parseHttpUrl, redactHttpUrl } from './http/url.js';
export type { HttpUrl } from './http/url.js';
export { parseKeyValueLines, parseKeyValues, isOk, parseCameraError, cameraErrorToProtocolError, parseRootParams, parseTable, CAMERA_ERROR_DETAILS } from './http/text/camera-text.js';
export type { CameraError, RootParams, TableNode, TableValue } from './http/text/camera-text.js';
export { parseFindNextFile, parseFinderCreate, parseStorageList, findFileParams } from './http/text/recordings.js';
export type { MediaFile, StoredFile, FindFileQuery, FindNextFileResult } from './http/text/recordings.js';
export { parseAttachLine, parseAttachText, decodeAttachPart } from './http/events/attach-events.js';
export type { AttachEvent, AttachHeartbeat, AttachMessage, EventAction } from './http/events/attach-events.js';
export { parseEventData, decodeEventDataPart, decodeIoStatus, parseFaceRects } from './http/events/eventdata.js';
export type { EventDataStatus, MotionStatus, IoStatus, IoInput, IoOutput, FaceRect, FaceStatus, TamperingStatus } from './http/events/eventdata.js';

// ---- DH / DHAV: the demuxer classes (the root entry has createDemuxer) -----------------------------
export { DhDemuxer } from './dh/dh-demuxer.js';
export { DhavDemuxer, dhavDateToMs } from './dh/dhav-demuxer.js';
export { AutoDemuxer, sniff, createDemuxer } from './dh/sniff.js';

// ---- playback: Range / Scale / Speed, the ONVIF replay extension, the talk-back sender ------------
export { parseRangeHeader, formatRange, parseScale, formatScale, parseSpeed, formatSpeed } from './rtsp/range.js';
export type { NptRange, ClockRange, SmpteRange, SmpteTime, SmpteUnit } from './rtsp/range.js';
export { parseOnvifReplay, withOnvifReplay } from './rtp/onvif-replay.js';
export type { OnvifReplayFields } from './rtp/onvif-replay.js';
export { BackchannelSender } from './client/backchannel.js';
export type { BackchannelSenderOptions } from './client/backchannel.js';
