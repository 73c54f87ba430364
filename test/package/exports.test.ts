/**
 * The public API is decided on purpose: each entry point exports exactly the names listed here, and
 * README.md's "Public API" section names every one of them. Adding a public name means adding it to
 * the entry file, to the list below and to the README, in the same change.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as root from '../../src/index.js';
import * as parsers from '../../src/parsers.js';
import * as testing from '../../src/testing/index.js';

const ENTRIES: Record<string, { module: object; names: string[] }> = {
  camstream: {
    module: root,
    names: ['CameraHttp', 'ProtocolError', 'RtspClient', 'VERSION', 'createDemuxer', 'expectOk', 'formatCameraTime', 'httpRequest', 'isProtocolError', 'redactUrl', 'sniff', 'throwIfCameraError',
      // captures
      'PcapngCapture', 'MemorySink', 'REDACTION_NOTE', 'openCaptureFile', 'rotatedName', 'FileSink', 'readPcap', 'captureEvents', 'playEvents', 'StreamRedactor', 'redactText', 'secretForms',
      // dump
      'DumpTap', 'formatRecord', 'jsonRecord', 'DUMP_SCHEMA', 'runDump', 'teeTap', 'replayCapture', 'captureForUrl',
      // quirk policies
      'DEFAULT_POLICIES', 'PROFILES', 'resolvePolicies', 'sessionOptions', 'fingerprint',
      // MP4
      'Mp4Writer', 'Mp4FileWriter', 'completeFragmentsLength',
      // recording timeline, reconnects
      'Timeline', 'ReconnectingRtspClient', 'isPermanentError',
      // playback and two-way audio
      'playbackUrl', 'fileStreamUrl', 'Backchannel', 'dahuaBackchannelUrl'],
  },
  'camstream/parsers': {
    module: parsers,
    names: [
      // message heads
      'Headers', 'HeadParser', 'parseHead', 'contentLength', 'DEFAULT_MAX_HEAD_SIZE', 'DEFAULT_MAX_HEADER_COUNT',
      // RTSP
      'RtspStreamParser', 'encodeRequest', 'encodeResponse', 'encodeInterleaved', 'parseRtspUrl', 'redactUrl', 'stripCredentials', 'normalizeBase', 'resolveControl', 'parseSdp',
      'parseTransport', 'parseTransports', 'buildTransport', 'parseSession', 'parseRtpInfo', 'parsePublic', 'parseRange', 'contentBase', 'RtspSession',
      // auth
      'Authenticator', 'pickChallenge', 'parseChallenges', 'parseWwwAuthenticate',
      // RTP / RTCP
      'RtpPacketView', 'RtpStatus', 'rtpStatusText', 'parseRtpPacket', 'rtpError', 'buildRtpPacket', 'writeRtpHeader', 'RTP_HEADER_SIZE',
      'SequenceTracker', 'SeqEvent', 'TimestampExtender', 'parseRtcp', 'tryParseRtcp', 'RtpClockMapper', 'buildReceiverReport', 'lastSrField', 'ntpToUnixMs',
      // codecs
      'splitAnnexB', 'joinAnnexB', 'forEachAnnexBNal', 'H264Depacketizer', 'H264Packetizer', 'parseH264Sps', 'buildAvcDecoderConfig', 'avc1CodecString', 'decodeH264Sprop', 'decodeSpropNalus',
      'H265Depacketizer', 'H265Packetizer', 'parseH265Sps', 'hvc1CodecString', 'G711Depacketizer', 'G711Packetizer', 'AacDepacketizer', 'AacPacketizer',
      'parseAudioSpecificConfig', 'parseMpeg4GenericFmtp', 'writeAdtsHeader', 'AAC_SAMPLE_RATES', 'JpegDepacketizer', 'JpegPacketizer', 'parseJpegForRtp', 'rfc2435QuantTables',
      // multipart
      'MultipartParser', 'parseBoundary', 'boundaryFromContentType', 'isMultipart',
      // HTTP
      'ChunkedDecoder', 'HttpResponseParser', 'parseContentLength', 'parseHttpUrl', 'redactHttpUrl', 'parseKeyValueLines', 'parseKeyValues', 'isOk', 'parseCameraError', 'cameraErrorToProtocolError', 'parseRootParams', 'parseTable', 'CAMERA_ERROR_DETAILS',
      'parseFindNextFile', 'parseFinderCreate', 'parseStorageList', 'findFileParams',
      'parseAttachLine', 'parseAttachText', 'decodeAttachPart', 'parseEventData', 'decodeEventDataPart', 'decodeIoStatus', 'parseFaceRects',
      // DH / DHAV
      'DhDemuxer', 'DhavDemuxer', 'dhavDateToMs', 'AutoDemuxer', 'sniff', 'createDemuxer',
      // playback
      'parseRangeHeader', 'formatRange', 'parseScale', 'formatScale', 'parseSpeed', 'formatSpeed', 'parseOnvifReplay', 'withOnvifReplay', 'BackchannelSender',
    ],
  },
  'camstream/testing': {
    module: testing,
    names: ['VirtualCamera', 'NO_QUIRKS', 'VirtualHttpCamera', 'DigestServer', 'dhPacket', 'dhExtend', 'muxDh', 'muxDhav', 'dhavPackets', 'dhavExt', 'dhavType', 'packDhavDate', 'PlaybackCamera'],
  },
};

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Public API'), readme.indexOf('\n## ', readme.indexOf('## Public API') + 5));

describe('public API', () => {
  for (const [entry, { module, names }] of Object.entries(ENTRIES)) {
    it(`${entry} exports exactly its list`, () => {
      expect(Object.keys(module).sort()).toEqual([...names].sort());
    });
    it(`README "Public API" names every export of ${entry}`, () => {
      expect(section.length).toBeGreaterThan(100);
      expect(section).toContain(`\`${entry}\``);
      for (const n of names) expect(section, n).toMatch(new RegExp(`\\b${n}\\b`));
    });
  }

  it('internals are exported by no entry point', () => {
    for (const { module } of Object.values(ENTRIES)) for (const n of ['ByteQueue', 'HeadEndScanner', 'hexPreview', 'NalUnitAssembler']) expect(module).not.toHaveProperty(n);
  });

  it('package.json "exports" has exactly these entry points, each with import, require-able default and types', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(subpaths.map((s) => (s === '.' ? 'camstream' : `camstream/${s.slice(2)}`)).sort()).toEqual(Object.keys(ENTRIES).sort());
    for (const s of subpaths) {
      const c = pkg.exports[s] as Record<string, string>;
      expect(Object.keys(c)).toEqual(['types', 'import', 'default']);
      expect(c['default']).toBe(c['import']);
    }
  });
});
