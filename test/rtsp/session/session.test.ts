/** RtspSession on a fake clock: states, keepalive, timeouts, reports, the receive path, policies. */
import { describe, expect, it } from 'vitest';
import { Harness, PPS, SDP, SPS, flush } from './harness.js';
import { ProtocolError } from '../../../src/errors.js';
import { buildAvcDecoderConfig } from '../../../src/codec/h264/sps.js';
import { encodeInterleaved } from '../../../src/rtsp/encode.js';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`;
};

function bye(ssrc: number): Uint8Array {
  const b = Buffer.alloc(8);
  b[0] = 0x81;
  b[1] = 203;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

describe('RtspSession states', () => {
  it('refuses verbs the state does not allow, with INVALID_STATE', async () => {
    const h = new Harness();
    expect(await codeOf(h.session.play(h.now))).toBe('INVALID_STATE');
    expect(await codeOf(h.session.setup(0, h.now))).toBe('INVALID_STATE');
    await h.start();
    expect(h.session.state).toBe('playing');
    expect(await codeOf(h.session.setup(0, h.now))).toBe('INVALID_STATE');
    expect(await codeOf(h.session.describe(h.now))).toBe('INVALID_STATE');
    expect(await codeOf(h.session.play(h.now))).toBe('INVALID_STATE');
    const t = h.session.teardown(h.now);
    await flush();
    expect(h.last.method).toBe('TEARDOWN');
    h.answer(200);
    await t;
    expect(h.session.state).toBe('closed');
    expect(h.ended?.reason).toBe('closed');
    for (const p of [h.session.describe(h.now), h.session.play(h.now), h.session.pause(h.now), h.session.teardown(h.now), h.session.setup(1, h.now)]) {
      expect(await codeOf(p)).toBe('INVALID_STATE');
    }
  });

  it('a second setup of the same track is refused; another track gets the next channel pair', async () => {
    const h = new Harness();
    await h.start();
    expect(await codeOf(h.session.setup(0, h.now))).toBe('INVALID_STATE');
    expect(h.session.setupTracks.map((t) => [t.rtpChannel, t.rtcpChannel])).toEqual([[0, 1]]);
  });

  it('first PLAY sends Range npt=0.000-, the PLAY that resumes after PAUSE sends none (RFC 2326 §10.5)', async () => {
    const h = new Harness();
    await h.start();
    const play1 = h.requests.find((r) => r.method === 'PLAY')!;
    expect(play1.headers.get('range')).toBe('npt=0.000-');
    const p = h.session.pause(h.now);
    await flush();
    h.answer(200, { Session: 'ABC123' });
    await p;
    expect(h.session.state).toBe('paused');
    const r = h.session.play(h.now);
    await flush();
    expect(h.last.method).toBe('PLAY');
    expect(h.last.headers.has('range')).toBe(false);
    h.answer(200, { Session: 'ABC123' });
    await r;
    expect(h.session.state).toBe('playing');
  });
});

describe('RtspSession timers (fake clock, ms)', () => {
  it('keepalive: GET_PARAMETER at timeout/2, answered ones keep nothing pending; an unanswered one is a warning, not the end', async () => {
    const h = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0 });
    await h.start({ timeout: 10 });
    const t0 = h.now;
    h.advance(4999);
    expect(h.requests.filter((r) => r.method === 'GET_PARAMETER')).toHaveLength(0);
    h.advance(1);
    expect(h.last.method).toBe('GET_PARAMETER');
    expect(h.last.headers.get('session')).toBe('ABC123');
    h.answer(200, { Session: 'ABC123' });
    h.advance(5000);
    expect(h.requests.filter((r) => r.method === 'GET_PARAMETER')).toHaveLength(2);
    // Not answered: after the request timeout (min(interval, 10 s) = 5 s) a warning, counted.
    h.advance(5000);
    expect(h.session.stats.keepalivesUnanswered).toBe(1);
    expect(h.warnings.some((w) => w.code === 'TIMEOUT')).toBe(true);
    expect(h.ended).toBeUndefined();
    expect(h.now - t0).toBe(15000);
  });

  it('keepalive falls back to OPTIONS when Public lacks GET_PARAMETER', async () => {
    const h = new Harness({ idleTimeoutMs: 0, frameTimeoutMs: 0 });
    const d = h.session.describe(h.now);
    await flush();
    h.answer(200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
    await flush();
    h.answer(200, { 'Content-Base': 'rtsp://cam.example/stream/' }, SDP);
    await d;
    const s = h.session.setup(0, h.now);
    await flush();
    h.answer(200, { Session: 'S1;timeout=4', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    await s;
    h.advance(2000);
    expect(h.last.method).toBe('OPTIONS');
  });

  it('454 in answer to a keepalive ends the session with RTSP_SESSION_NOT_FOUND', async () => {
    const h = new Harness();
    await h.start({ timeout: 10 });
    h.advance(5000);
    expect(h.last.method).toBe('GET_PARAMETER');
    h.answer(454);
    expect(h.ended?.reason).toBe('error');
    expect(h.ended?.error?.code).toBe('RTSP_SESSION_NOT_FOUND');
    expect(h.deadline).toBe(Infinity);
  });

  it('idle: no bytes for idleTimeoutMs while playing is TIMEOUT; time paused by backpressure is not idle', async () => {
    const h = new Harness({ idleTimeoutMs: 3000, keepalive: false, frameTimeoutMs: 0 });
    await h.start();
    h.session.setFlowPaused(true, h.now);
    h.advance(60_000);
    expect(h.ended).toBeUndefined();
    h.session.setFlowPaused(false, h.now);
    h.advance(2999);
    expect(h.ended).toBeUndefined();
    h.advance(1);
    expect(h.ended?.error?.code).toBe('TIMEOUT');
    expect(h.ended?.error?.message).toMatch(/no data/);
  });

  it('no frame for frameTimeoutMs while playing is TIMEOUT even when bytes keep coming', async () => {
    const h = new Harness({ frameTimeoutMs: 5000, keepalive: false });
    await h.start();
    for (let i = 0; i < 10 && !h.ended; i++) {
      h.advance(1000);
      h.session.receive(encodeInterleaved(9, new Uint8Array(10)), h.now); // stray channel: bytes, no frames
    }
    expect(h.ended?.error?.code).toBe('TIMEOUT');
    expect(h.ended?.error?.message).toMatch(/no frame/);
  });

  it('a message head begun but not complete after headTimeoutMs is TIMEOUT (1 byte per second)', async () => {
    const h = new Harness({ headTimeoutMs: 4000, keepalive: false, idleTimeoutMs: 0, frameTimeoutMs: 0 });
    await h.start();
    const text = Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 99\r\nX: yyyyyyyyyyyyyyyy\r\n\r\n');
    for (let i = 0; i < text.length && !h.ended; i++) {
      h.session.receive(text.subarray(i, i + 1), h.now);
      h.advance(1000);
    }
    expect(h.ended?.error?.code).toBe('TIMEOUT');
    expect(h.ended?.error?.message).toMatch(/incomplete/);
  });

  it('receiver reports every receiverReportIntervalMs on the track’s interleaved RTCP channel', async () => {
    const h = new Harness({ receiverReportIntervalMs: 2000, keepalive: false });
    await h.start();
    h.rtp(0, { seq: 100, ts: 0 }, Harness.nal());
    h.rtp(0, { seq: 103, ts: 3600 }, Harness.nal(false));
    h.advance(2000);
    expect(h.interleavedOut).toHaveLength(1);
    const rr = Buffer.from(h.interleavedOut[0]!.bytes);
    expect(h.interleavedOut[0]!.channel).toBe(1);
    expect(rr[1]).toBe(201);
    expect(rr.readUInt32BE(8)).toBe(0x11223344); // about the camera's SSRC
    expect(rr.readUIntBE(13, 3)).toBe(2); // cumulative lost
    h.advance(2000);
    expect(h.interleavedOut).toHaveLength(2);
  });
});

describe('RtspSession receive path', () => {
  it('loss is counted once; duplicates are dropped; frames carry discontinuity after a gap', async () => {
    const h = new Harness({ keepalive: false });
    await h.start();
    h.rtp(0, { seq: 1, ts: 0 }, Harness.nal());
    h.rtp(0, { seq: 1, ts: 0 }, Harness.nal());
    h.rtp(0, { seq: 4, ts: 3600 }, Harness.nal(false)); // may miss its start: dropped ('drop' loss mode)
    h.rtp(0, { seq: 5, ts: 7200 }, Harness.nal(false));
    expect(h.session.stats.lostPackets).toBe(2);
    expect(h.session.stats.duplicatePackets).toBe(1);
    expect(h.session.stats.droppedUnits).toBe(1);
    expect(h.frames.map((f) => [f.timestamp, f.discontinuity])).toEqual([
      [0, false],
      [7200, true],
    ]);
  });

  it('payload type other than the track’s is dropped and counted; a channel collision is refused', async () => {
    const h = new Harness({ keepalive: false });
    const d = h.session.describe(h.now);
    await flush();
    h.answer(200, {});
    await flush();
    h.answer(200, { 'Content-Base': 'rtsp://cam.example/stream/' }, SDP);
    await d;
    for (const i of [0, 1]) {
      const s = h.session.setup(i, h.now);
      await flush();
      h.answer(200, { Session: 'S', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const code = await codeOf(s);
      if (i === 0) expect(code).toContain('not a ProtocolError');
      else expect(code).toBe('RTSP_BAD_TRANSPORT');
    }
    expect(h.session.setupTracks).toHaveLength(1);
    const p = h.session.play(h.now);
    await flush();
    h.answer(200, { Session: 'S' });
    await p;
    h.rtp(0, { seq: 1, ts: 0, pt: 0 }, new Uint8Array(160)); // the audio track's PCMU on the same channel
    h.rtp(0, { seq: 2, ts: 0 }, Harness.nal());
    expect(h.session.stats.wrongPayloadType).toBe(1);
    expect(h.frames).toHaveLength(1);
    expect(h.frames[0]!.codec).toBe('h264');
  });

  it('ssrcPolicy adopt: a foreign SSRC is dropped; one that persists is followed with a discontinuity', async () => {
    const h = new Harness({ keepalive: false, ssrcAdoptAfter: 3 });
    await h.start();
    h.rtp(0, { seq: 1, ts: 0 }, Harness.nal());
    h.rtp(0, { seq: 500, ts: 90000, ssrc: 7 }, Harness.nal());
    expect(h.session.stats.foreignSsrc).toBe(1);
    h.rtp(0, { seq: 2, ts: 3600 }, Harness.nal(false));
    expect(h.frames).toHaveLength(2);
    for (let i = 0; i < 3; i++) h.rtp(0, { seq: 900 + i, ts: 180000 + i * 3600, ssrc: 9 }, Harness.nal());
    expect(h.session.setupTracks[0]!.ssrc).toBe(9);
    expect(h.frames.at(-1)!.discontinuity).toBe(true);
    expect(h.warnings.some((w) => /changed SSRC/.test(w.message))).toBe(true);
  });

  it('ssrcPolicy strict never adopts', async () => {
    const h = new Harness({ keepalive: false, ssrcPolicy: 'strict', ssrcAdoptAfter: 2 });
    await h.start();
    h.rtp(0, { seq: 1, ts: 0 }, Harness.nal());
    for (let i = 0; i < 10; i++) h.rtp(0, { seq: 900 + i, ts: 1000 + i, ssrc: 9 }, Harness.nal());
    expect(h.session.stats.foreignSsrc).toBe(10);
    expect(h.frames).toHaveLength(1);
  });

  it('RTP-Info: a plausible seq counts the packets lost before the first; bogus seq=0 is ignored with a warning', async () => {
    const a = new Harness({ keepalive: false });
    await a.start({ rtpInfo: 'url=rtsp://cam.example/stream/track1;seq=100;rtptime=5000' });
    a.rtp(0, { seq: 103, ts: 5000 + 3600 }, Harness.nal());
    expect(a.session.stats.lostPackets).toBe(3);
    expect(a.frames[0]!.presentationTime).toBeCloseTo(0.04, 6); // anchored at rtptime, not at the first packet
    expect(a.frames[0]!.discontinuity).toBe(true);
    const b = new Harness({ keepalive: false });
    await b.start({ rtpInfo: 'url=track1;seq=0;rtptime=0' });
    b.rtp(0, { seq: 40000, ts: 3_000_000_000 }, Harness.nal());
    expect(b.session.stats.lostPackets).toBe(0);
    expect(b.frames[0]!.presentationTime).toBe(0);
    expect(b.warnings.map((w) => w.code)).toContain('RTSP_BAD_RTP_INFO');
    const c = new Harness({ keepalive: false, rtpInfoPolicy: 'ignore' });
    await c.start({ rtpInfo: 'url=track1;seq=100;rtptime=5000' });
    c.rtp(0, { seq: 103, ts: 8600 }, Harness.nal());
    expect(c.session.stats.lostPackets).toBe(0);
  });

  it('RTCP BYE on every set-up track ends the session with reason end (TEARDOWN sent)', async () => {
    const h = new Harness({ keepalive: false });
    await h.start();
    h.rtp(0, { seq: 1, ts: 0 }, Harness.nal());
    h.session.receive(encodeInterleaved(1, bye(0x11223344)), h.now);
    expect(h.ended).toEqual({ reason: 'end', error: undefined });
    expect(h.last.method).toBe('TEARDOWN');
  });

  it('a bounded Range ends with reason end once every track reached its end and data stops', async () => {
    const h = new Harness({ keepalive: false });
    await h.start({ playHeaders: { Range: 'npt=0-2' } });
    for (let i = 0; i < 50; i++) h.rtp(0, { seq: i, ts: i * 3600 }, Harness.nal(i === 0));
    h.advance(999);
    expect(h.ended).toBeUndefined();
    h.advance(1);
    expect(h.ended?.reason).toBe('end');
  });

  it('the transport hook: a UDP track is set up with client_port, fed by receiveRtp, reports go to sendRtcp', async () => {
    const h = new Harness({ keepalive: false, receiverReportIntervalMs: 1000, transport: () => ({ kind: 'udp', clientPort: [5000, 5001] }) });
    const d = h.session.describe(h.now);
    await flush();
    h.answer(200, {});
    await flush();
    h.answer(200, { 'Content-Base': 'rtsp://cam.example/stream/' }, SDP);
    await d;
    const s = h.session.setup(0, h.now);
    await flush();
    expect(h.last.headers.get('transport')).toBe('RTP/AVP;unicast;client_port=5000-5001');
    h.answer(200, { Session: 'S', Transport: 'RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=11223344' });
    const t = await s;
    expect(t.transport?.serverPort).toEqual([6000, 6001]);
    expect(t.rtpChannel).toBeUndefined();
    const p = h.session.play(h.now);
    await flush();
    h.answer(200, { Session: 'S' });
    await p;
    const { buildRtpPacket } = await import('../../../src/rtp/rtp-packet.js');
    const pkt = buildRtpPacket({ marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 0x11223344 }, Harness.nal());
    h.session.receiveRtp(0, pkt, 0, pkt.length, h.now);
    expect(h.frames).toHaveLength(1);
    h.advance(1000);
    expect(h.rtcpOut).toHaveLength(1);
    expect(h.rtcpOut[0]!.track.index).toBe(0);
  });
});

describe('RtspSession DESCRIBE, auth and redirects', () => {
  it('fills width, height, codec string and avcC from sprop-parameter-sets at DESCRIBE', async () => {
    const h = new Harness();
    const d = h.session.describe(h.now);
    await flush();
    h.answer(200, {});
    await flush();
    h.answer(200, { 'Content-Base': 'rtsp://cam.example/stream/' }, SDP);
    const desc = await d;
    expect(desc.tracks[0]).toMatchObject({ width: 640, height: 360, codecString: 'avc1.42c01e' });
    expect(Buffer.from(desc.tracks[0]!.decoderConfig!)).toEqual(Buffer.from(buildAvcDecoderConfig(SPS, [PPS])));
  });

  it('an RTP/SAVP twin is not set up, with a warning saying why', async () => {
    const h = new Harness();
    const sdp = SDP.replace('m=audio 0 RTP/AVP 0', 'm=video 0 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track9\r\nm=audio 0 RTP/AVP 0');
    const d = h.session.describe(h.now);
    await flush();
    h.answer(200, {});
    await flush();
    h.answer(200, { 'Content-Base': 'rtsp://cam.example/stream/' }, sdp);
    const desc = await d;
    expect(desc.tracks.map((t) => [t.profile, t.supported])).toEqual([
      ['RTP/AVP', true],
      ['RTP/SAVP', false],
      ['RTP/AVP', true],
    ]);
    expect(h.warnings.some((w) => /RTP\/SAVP/.test(w.message) && /twin, track 0/.test(w.message))).toBe(true);
    expect(await codeOf(h.session.setup(1, h.now))).toBe('RTSP_UNSUPPORTED');
  });

  it('AUTH_FAILED names the method, the redacted URL and the status; never the password', async () => {
    const h = new Harness();
    const d = h.session.describe(h.now);
    await flush();
    h.answer(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    await flush();
    expect(h.last.headers.get('authorization')).toMatch(/^Basic /);
    h.answer(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    const e = (await d.catch((x: unknown) => x)) as ProtocolError;
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toMatch(/OPTIONS rtsp:\/\/user:\*\*\*@cam\.example\/stream answered 401 Unauthorized: credentials refused \(Basic\)/);
    expect(JSON.stringify(e) + String(e) + JSON.stringify(h.messages)).not.toMatch(/secret|dXNlcjpzZWNyZXQ/);
  });

  it('a redirect to another origin does not carry the credentials; the same origin does', async () => {
    const h = new Harness();
    const d = h.session.describe(h.now);
    await flush();
    h.answer(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    await flush();
    h.answer(302, { Location: 'rtsp://other.example:8554/stream' });
    await flush();
    expect(h.connects.at(-1)).toMatchObject({ host: 'other.example', port: 8554 });
    expect(h.last.method).toBe('OPTIONS');
    h.answer(401, { 'WWW-Authenticate': 'Basic realm="other"' });
    const e = (await d.catch((x: unknown) => x)) as ProtocolError;
    expect(e.code).toBe('AUTH_REQUIRED');
    expect(e.message).toMatch(/another origin/);
    expect(h.requests.filter((r) => r.uri.includes('other.example')).every((r) => !r.headers.has('authorization'))).toBe(true);

    const same = new Harness();
    const d2 = same.session.describe(same.now);
    await flush();
    same.answer(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    await flush();
    same.answer(302, { Location: '/elsewhere' });
    await flush();
    expect(same.last.headers.get('authorization')).toMatch(/^Basic /);
    void d2.catch(() => undefined);
  });

  it('the message effect redacts Authorization in both directions (a server that reflects requests)', async () => {
    const h = new Harness();
    const d = h.session.describe(h.now);
    await flush();
    h.answer(401, { 'WWW-Authenticate': 'Basic realm="cam"' });
    await flush();
    const authz = h.last.headers.get('authorization')!;
    h.answer(200, { Authorization: authz });
    await flush();
    expect(h.messages.some((m) => m.dir === 'in' && /Authorization: Basic \[redacted\]/.test(m.text))).toBe(true);
    expect(h.messages.some((m) => m.dir === 'out' && /Authorization: Basic \[redacted\]/.test(m.text))).toBe(true);
    expect(JSON.stringify(h.messages)).not.toContain(authz.split(' ')[1]!);
    void d.catch(() => undefined);
  });
});

describe('loss is computed once and handed down', () => {
  it('a depacketizer takes the loss it is given instead of re-deriving it from sequence numbers', async () => {
    const { H264Depacketizer } = await import('../../../src/codec/h264/depacketizer.js');
    const units: boolean[] = [];
    const d = new H264Depacketizer({ onUnit: (u) => units.push(u.discontinuity), onError: () => undefined });
    const nal = Harness.nal();
    d.pushPayload(nal, 0, nal.length, 0, true, 10, 0);
    // Consecutive sequence numbers, but the receive path says 2 packets were lost before this one.
    d.pushPayload(nal, 0, nal.length, 3600, true, 11, 2);
    d.pushPayload(nal, 0, nal.length, 7200, true, 12, 0);
    expect(d.stats.lostPackets).toBe(2);
    expect(units).toEqual([false, true]); // the unit after the loss dropped ('drop' mode), the next one flagged
    // Without the hand-down (standalone use) it checks continuity itself.
    const e = new H264Depacketizer({ onUnit: () => undefined });
    e.pushPayload(nal, 0, nal.length, 0, true, 10);
    e.pushPayload(nal, 0, nal.length, 3600, true, 13);
    expect(e.stats.lostPackets).toBe(2);
  });

  it('inside a session the depacketizer counts exactly the session’s loss', async () => {
    const h = new Harness({ keepalive: false });
    await h.start();
    for (const seq of [1, 2, 5, 6, 6, 9]) h.rtp(0, { seq, ts: seq * 3600 }, Harness.nal());
    const r = (h.session as unknown as { receivers: { depacketizer: { stats: { lostPackets: number } } }[] }).receivers[0]!;
    expect(h.session.stats.lostPackets).toBe(4);
    expect(r.depacketizer.stats.lostPackets).toBe(4);
  });
});

describe('in-band parameter sets', () => {
  it('a frame whose in-band SPS differs from the known one is flagged parametersChanged and the track updated', async () => {
    const h = new Harness({ keepalive: false });
    await h.start();
    const sps2 = Buffer.from(SPS);
    sps2[3] = 0x1f; // level 3.1 instead of 3.0
    h.rtp(0, { seq: 1, ts: 0, marker: false }, SPS); // the same SPS as the SDP's: no change
    h.rtp(0, { seq: 2, ts: 0 }, Harness.nal());
    h.rtp(0, { seq: 3, ts: 3600, marker: false }, sps2);
    h.rtp(0, { seq: 4, ts: 3600 }, Harness.nal());
    h.rtp(0, { seq: 5, ts: 7200 }, Harness.nal(false));
    expect(h.frames.map((f) => f.parametersChanged ?? false)).toEqual([false, true, false]);
    const t = h.session.setupTracks[0]!;
    expect(t.codecString).toBe('avc1.42c01f');
    expect(Buffer.from(t.decoderConfig!)).toEqual(Buffer.from(buildAvcDecoderConfig(sps2, [PPS])));
  });
});
