/**
 * The pure answer parsers of the session (rtsp/session/parse.ts) on text fixtures: real exchanges
 * with GStreamer's RTSP server (gst-rtsp-server 1.22, captured with the client's `message` event)
 * and exchanges written after the camera behaviours in docs/camera-quirks.md.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RtspStreamParser, type RtspMessage } from '../../../src/rtsp/rtsp-parser.js';
import type { ResponseHead } from '../../../src/message/head-parser.js';
import { parseDescribe, parsePlay, parseSetup, rtpInfoFor } from '../../../src/rtsp/session/parse.js';
import { ProtocolError } from '../../../src/errors.js';

function fixture(name: string): RtspMessage & { head: ResponseHead } {
  const bytes = readFileSync(new URL(`../fixtures/session/${name}`, import.meta.url));
  const out: RtspMessage[] = [];
  const p = new RtspStreamParser({ message: (m) => out.push({ ...m, body: m.body.slice() }), interleaved: () => undefined, error: (e) => { throw e; } });
  p.push(bytes);
  p.end();
  expect(out).toHaveLength(1);
  return out[0] as RtspMessage & { head: ResponseHead };
}

describe('parseDescribe', () => {
  it('GStreamer H.264 + PCMU: tracks, control URLs, codec parameters from sprop-parameter-sets', () => {
    const m = fixture('gst-av-describe.txt');
    const d = parseDescribe('rtsp://127.0.0.1:8554/av', m.head, m.body);
    expect(d.contentBase).toBe('rtsp://127.0.0.1:8554/av/');
    expect(d.aggregateControl).toBe('rtsp://127.0.0.1:8554/av/');
    expect(d.notes).toEqual([]);
    expect(d.tracks.map((t) => [t.type, t.codec, t.payloadType, t.clockRate, t.control, t.profile, t.supported])).toEqual([
      ['video', 'h264', 96, 90000, 'rtsp://127.0.0.1:8554/av/stream=0', 'RTP/AVP', true],
      ['audio', 'pcmu', 0, 8000, 'rtsp://127.0.0.1:8554/av/stream=1', 'RTP/AVP', true],
    ]);
    expect(d.tracks[0]).toMatchObject({ width: 320, height: 240, codecString: 'avc1.42c015' });
    expect(d.tracks[0]!.decoderConfig?.subarray(0, 4)).toEqual(new Uint8Array([1, 0x42, 0xc0, 0x15]));
    expect(d.tracks[1]!.width).toBeUndefined();
  });

  it('GStreamer H.265: size and hvc1 codec string from sprop-sps, hvcC from sprop-vps/sps/pps', () => {
    const m = fixture('gst-h265-describe.txt');
    const d = parseDescribe('rtsp://127.0.0.1:8554/h265', m.head, m.body);
    const t = d.tracks[0]!;
    expect(t).toMatchObject({ codec: 'h265', width: 320, height: 240 });
    // x265 chose the format range extensions profile (general_profile_idc 4) for this stream.
    expect(t.codecString).toMatch(/^hvc1\.4\.[0-9A-F]+\.L\d+/);
    const hvcc = t.decoderConfig!;
    expect(hvcc[0]).toBe(1);
    expect(hvcc[1]! & 0x1f).toBe(4); // the same profile in the record
    expect(`L${hvcc[12]}`).toBe(/\.(L\d+)/.exec(t.codecString!)![1]); // and the same level
    expect(hvcc[22]).toBe(3); // VPS, SPS and PPS arrays
    expect([hvcc[23]! & 0x3f]).toEqual([32]);
  });

  it('Dahua: Content-Base with query and trailing slash joins trackID=0 after it (docs/camera-quirks.md #2)', () => {
    const m = fixture('dahua-describe.txt');
    const d = parseDescribe('rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0', m.head, m.body);
    expect(d.tracks.map((t) => t.control)).toEqual([
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif/trackID=0',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif/trackID=1',
    ]);
    expect(d.tracks.map((t) => [t.codec, t.clockRate])).toEqual([
      ['h265', 90000],
      ['pcma', 16000],
    ]);
    expect(d.tracks[0]).toMatchObject({ width: 1920, height: 1080 });
  });

  it('an RTP/SAVP twin is marked unsupported with a note naming the plain track', () => {
    const m = fixture('savp-twin-describe.txt');
    const d = parseDescribe('rtsp://127.0.0.1:8554/tls', m.head, m.body);
    expect(d.tracks.map((t) => [t.profile, t.supported])).toEqual([
      ['RTP/SAVP', false],
      ['RTP/AVP', true],
    ]);
    expect(d.tracks[0]!.unsupportedReason).toMatch(/RTP\/SAVP is not implemented/);
    expect(d.notes).toHaveLength(1);
    expect(d.notes[0]).toMatch(/track 0 .*plain RTP\/AVP twin, track 1/);
  });

  it('a body that is not SDP is RTSP_BAD_SDP', () => {
    const m = fixture('gst-h264-play.txt');
    let e: unknown;
    try {
      parseDescribe('rtsp://x/', m.head, 'this is not sdp');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe('RTSP_BAD_SDP');
  });
});

describe('parseSetup', () => {
  it('GStreamer: session id, timeout, interleaved channels and ssrc', () => {
    const s = parseSetup(fixture('gst-av-setup1.txt').head);
    expect(s.sessionId).toBe('Zhf5p-2_YiFUoy7e');
    expect(s.timeout).toBe(10);
    expect(s.transport).toMatchObject({ lowerTransport: 'TCP', interleaved: [2, 3], ssrc: 0x34682f40, mode: 'PLAY' });
  });

  it('Hikvision: spaces in Session and around ssrc= (gortsplib #121)', () => {
    const s = parseSetup(fixture('hikvision-setup.txt').head);
    expect(s.sessionId).toBe('1273222592');
    expect(s.timeout).toBe(60);
    expect(s.transport).toMatchObject({ interleaved: [0, 1], ssrc: 0x5e3b2a10 });
  });

  it('no Session header is RTSP_NO_SESSION', () => {
    let e: unknown;
    try {
      parseSetup(fixture('gst-h264-describe.txt').head);
    } catch (x) {
      e = x;
    }
    expect((e as ProtocolError).code).toBe('RTSP_NO_SESSION');
  });
});

describe('parsePlay and rtpInfoFor', () => {
  it('GStreamer: RTP-Info per track by absolute URL, open Range', () => {
    const p = parsePlay(fixture('gst-av-play.txt').head);
    expect(p.range).toMatchObject({ unit: 'npt', start: 'now', end: undefined });
    const tracks = [{ control: 'rtsp://127.0.0.1:8554/av/stream=0' }, { control: 'rtsp://127.0.0.1:8554/av/stream=1' }];
    expect(rtpInfoFor(p.rtpInfo, tracks[0]!, 2)).toEqual({ url: 'rtsp://127.0.0.1:8554/av/stream=0', seq: 24758, rtptime: 3747908485 });
    expect(rtpInfoFor(p.rtpInfo, tracks[1]!, 2)?.seq).toBe(20794);
  });

  it('a relative RTP-Info url (mediamtx #250) matches the end of the control URL; a bounded Range', () => {
    const p = parsePlay(fixture('relative-play.txt').head);
    expect(p.range).toMatchObject({ startSeconds: 0, endSeconds: 12.5 });
    expect(rtpInfoFor(p.rtpInfo, { control: 'rtsp://127.0.0.1:8554/tls/stream=1' }, 2)).toMatchObject({ seq: 17, rtptime: 90000 });
    expect(rtpInfoFor(p.rtpInfo, { control: 'rtsp://127.0.0.1:8554/tls/stream=0' }, 2)).toBeUndefined();
  });

  it('Hikvision: the bogus seq=0/rtptime=0 are parsed as given (the session policy judges them)', () => {
    const p = parsePlay(fixture('hikvision-play.txt').head);
    const e = rtpInfoFor(p.rtpInfo, { control: 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast' }, 1);
    expect(e).toMatchObject({ seq: 0, rtptime: 0 });
  });
});
