import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { CameraHttp, attachRequest, type MjpegFrame, type MjpegStream } from '../../src/client/camera-http.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import type { DhFrame } from '../../src/dh/types.js';
import { ProtocolError } from '../../src/errors.js';
import { scriptedHttp, until } from '../support/scripted-http.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(300, 0x11), Buffer.from([0xff, 0xd9])]);
const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n';
const part = (body: Buffer, declared = body.length): Buffer => Buffer.concat([Buffer.from(`--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: ${declared}\r\n\r\n`), body, Buffer.from('\r\n')]);

/** Iterates to the end; returns the frames and the error the iteration ended with (if any). */
async function drain(s: MjpegStream): Promise<{ frames: MjpegFrame[]; error?: ProtocolError }> {
  const frames: MjpegFrame[] = [];
  try {
    for await (const f of s) frames.push(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return { frames, error: e as ProtocolError };
  }
  return { frames };
}

async function mjpegAgainst(script: (s: Socket) => void, o: Parameters<CameraHttp['mjpeg']>[0] = {}): Promise<{ frames: MjpegFrame[]; error?: ProtocolError; dropped: number }> {
  const srv = await scriptedHttp(script);
  try {
    const s = await new CameraHttp(srv.url()).mjpeg(o);
    const r = await drain(s);
    await until(() => srv.open() === 0);
    return { ...r, dropped: s.stats.dropped };
  } finally {
    await srv.close();
  }
}

describe('CameraHttp.mjpeg: a broken stream is an error, never a normal end', () => {
  it('a part cut short by the end of the stream: the whole frames, then TRUNCATED', async () => {
    const r = await mjpegAgainst((s) => s.end(Buffer.concat([Buffer.from(HEAD), part(JPEG), part(JPEG).subarray(0, 120)])));
    expect(r.frames.length).toBe(1);
    expect(Buffer.from(r.frames[0]!.jpeg).equals(JPEG)).toBe(true);
    expect(r.error?.code).toBe('TRUNCATED');
  });

  it('a boundary that never comes (the connection stays open): MULTIPART_BAD_DELIMITER once the preamble cap is passed', async () => {
    const r = await mjpegAgainst((s) => {
      s.write(HEAD);
      s.write(Buffer.alloc(100 * 1024, 0x41)); // the server never closes: only the client can end this
    });
    expect(r.frames.length).toBe(0);
    expect(r.error?.code).toBe('MULTIPART_BAD_DELIMITER');
  });

  it('a boundary that never comes before the close: MULTIPART_BAD_DELIMITER, also with partErrors "skip"', async () => {
    for (const partErrors of ['throw', 'skip'] as const) {
      const r = await mjpegAgainst((s) => s.end(HEAD + 'no delimiter here'), { partErrors });
      expect(r.frames.length).toBe(0);
      expect(r.error?.code).toBe('MULTIPART_BAD_DELIMITER');
    }
  });

  it('a part over maxFrameSize: MULTIPART_PART_TOO_LARGE; with partErrors "skip" it is counted and the stream goes on', async () => {
    const big = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5000, 0x22), Buffer.from([0xff, 0xd9])]);
    const body = Buffer.concat([Buffer.from(HEAD), part(JPEG), part(big), part(JPEG), Buffer.from('--myboundary--\r\n')]);
    const thrown = await mjpegAgainst((s) => s.end(body), { maxFrameSize: 1000 });
    expect(thrown.frames.length).toBe(1);
    expect(thrown.error?.code).toBe('MULTIPART_PART_TOO_LARGE');
    const skipped = await mjpegAgainst((s) => s.end(body), { maxFrameSize: 1000, partErrors: 'skip' });
    expect(skipped.error).toBeUndefined();
    expect(skipped.frames.length).toBe(2);
    expect(skipped.dropped).toBe(1);
  });

  it('a clean stream with its close delimiter ends normally', async () => {
    const r = await mjpegAgainst((s) => s.end(Buffer.concat([Buffer.from(HEAD), part(JPEG), part(JPEG), Buffer.from('--myboundary--\r\n')])));
    expect(r.error).toBeUndefined();
    expect(r.frames.length).toBe(2);
  });
});

describe('CameraHttp DH streams against VirtualHttpCamera', () => {
  let vcam: VirtualHttpCamera;
  let api: CameraHttp;
  beforeAll(async () => {
    vcam = await new VirtualHttpCamera({ auth: 'digest', speed: 8 }).start();
    api = new CameraHttp(vcam.url());
  });
  afterAll(async () => {
    await until(() => vcam.openConnections === 0);
    await vcam.stop();
  });

  it('DhStream.stats is live: realmonitor and loadFile counters follow the frames read', async () => {
    const s = await api.realmonitor({ channel: 1 });
    expect(s.stats.bytes).toBe(0);
    let n = 0;
    for await (const f of s) {
      void f;
      if (++n === 10) break;
    }
    const st = s.stats;
    expect(st.frames.video + st.frames.audio).toBeGreaterThanOrEqual(10);
    expect(st.bytes).toBeGreaterThan(0);
    const d = await api.loadFile({ startTime: '2024-01-01 10:00:00', endTime: '2024-01-01 10:01:00' });
    const frames: DhFrame[] = [];
    for await (const f of d) frames.push(f);
    expect(d.stats.frames.video + d.stats.frames.audio + d.stats.frames.aux).toBe(frames.length);
    expect(d.stats.bytes).toBe(Number(d.response.headers.get('content-length')));
  });

  it('an answer that is not DH/DHAV is an error, not an empty stream', async () => {
    const codeOf = async (path: string): Promise<{ code: string; message: string; frames: number }> => {
      let frames = 0;
      try {
        const s = await api.dh(path);
        for await (const f of s) {
          void f;
          frames++;
        }
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        return { code: (e as ProtocolError).code, message: (e as Error).message, frames };
      }
      return { code: 'none', message: '', frames };
    };
    expect(await codeOf('/cgi-bin/snapshot.cgi')).toMatchObject({ code: 'HTTP_BAD_RESPONSE', message: expect.stringMatching(/JPEG/), frames: 0 });
    expect(await codeOf('/cgi-bin/mjpg/video.cgi')).toMatchObject({ code: 'HTTP_BAD_RESPONSE', message: expect.stringMatching(/multipart/), frames: 0 });
    expect(await codeOf('/cgi-bin/nothing.cgi?action=getStream')).toMatchObject({ code: 'HTTP_CAMERA_ERROR', message: expect.stringMatching(/Invalid Request/) });
    const ok = await codeOf('/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2024-01-01%2010:00:00&endTime=2024-01-01%2010:01:00');
    expect(ok.code).toBe('none');
    expect(ok.frames).toBeGreaterThan(0);
  });
});

describe('CameraHttp.dh against scripted answers', () => {
  const dhAgainst = async (answer: string | Buffer, o: Parameters<CameraHttp['dh']>[1] = {}): Promise<{ code: string; message: string }> => {
    const srv = await scriptedHttp((s) => s.end(answer));
    try {
      const st = await new CameraHttp(srv.url()).dh('/cgi-bin/realmonitor.cgi?action=getStream', o);
      for await (const f of st) void f;
      return { code: 'none', message: '' };
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      return { code: (e as ProtocolError).code, message: (e as Error).message };
    } finally {
      await srv.close();
    }
  };

  it('a camera error body sent as octet-stream is HTTP_CAMERA_ERROR', async () => {
    const r = await dhAgainst('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\nError\r\nErrorID=2, Detail=Invalid Request!\r\n');
    expect(r.code).toBe('HTTP_CAMERA_ERROR');
  });

  it('binary bytes without one DH/DHAV packet: HTTP_BAD_RESPONSE at the end, and before the body runs past the cap', async () => {
    const junk = Buffer.alloc(5000, 0x99);
    const r = await dhAgainst(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n'), junk]));
    expect(r).toMatchObject({ code: 'HTTP_BAD_RESPONSE', message: expect.stringMatching(/no DH\/DHAV frame in the 5000-byte answer/) });
    const capped = await dhAgainst(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), junk]), { maxBytesBeforeFirstFrame: 1000 });
    expect(capped).toMatchObject({ code: 'HTTP_BAD_RESPONSE', message: expect.stringMatching(/no DH\/DHAV frame in the first/) });
  });

  it('onBody never sees the bytes of a refused answer', async () => {
    const seen: Uint8Array[] = [];
    const r = await dhAgainst(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0 not really a jpeg', 'latin1'), { onBody: (c) => seen.push(c) });
    expect(r.code).toBe('HTTP_BAD_RESPONSE');
    expect(seen).toEqual([]);
  });
});

describe('attachRequest: the URL given is the request, options fill in only what it leaves out', () => {
  it('defaults', () => {
    expect(attachRequest({})).toEqual({ path: '/cgi-bin/eventManager.cgi?action=attach&codes=[All]', keepalive: undefined });
    expect(attachRequest({ codes: ['VideoMotion', 'AlarmLocal'], keepalive: 20 })).toEqual({ path: '/cgi-bin/eventManager.cgi?action=attach&codes=[VideoMotion%2CAlarmLocal]&keepalive=20', keepalive: 20 });
  });
  it("the URL's codes= and keepalive= win and are sent byte for byte", () => {
    const path = '/cgi-bin/eventManager.cgi?action=attach&codes=[VideoMotion,VideoLoss]&keepalive=5';
    expect(attachRequest({ path, codes: ['All'], keepalive: 60 })).toEqual({ path, keepalive: 5 });
  });
  it('missing parts are added', () => {
    expect(attachRequest({ path: '/cgi-bin/eventManager.cgi?action=attach&codes=[A]', keepalive: 7 })).toEqual({ path: '/cgi-bin/eventManager.cgi?action=attach&codes=[A]&keepalive=7', keepalive: 7 });
    expect(attachRequest({ path: '/cgi-bin/eventManager.cgi?keepalive=3', codes: ['B'] })).toEqual({ path: '/cgi-bin/eventManager.cgi?keepalive=3&action=attach&codes=[B]', keepalive: 3 });
    expect(() => attachRequest({ path: '/cgi-bin/eventManager.cgi?action=attach&keepalive=soon' })).toThrow(/keepalive=soon/);
  });
});
