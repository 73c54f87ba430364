/**
 * The client side of the vendor documents' HTTP endpoints (docs/vendor-documents.md), composed from the HTTP client and the sans-IO
 * parsers. One `CameraHttp` per camera shares one Authenticator, so after the first 401
 * each request answers the camera's Digest challenge (the WV-V series HTTP API V2.40 §3.5: qop=auth, realm `DH_<mac>`)
 * without another round trip.
 *
 *   the WV-V series HTTP API V2.40 §4.2.1  /cgi-bin/mjpg/video.cgi           multipart JPEG   -> mjpeg()
 *   the IP Camera Standard API 5.0.0 §5.5.2  http://<server>:8008             multipart JPEG   -> mjpeg({ url })
 *   the WV-V series HTTP API V2.40 §4.4.2  /cgi-bin/snapshot.cgi             image/jpeg       -> snapshot()
 *   the IP Camera Standard API 5.0.0 §5.2.1  /cgi-bin/jpg/image.cgi            image/jpeg       -> snapshot({ path })
 *   the WV-V series HTTP API V2.40 §4.9.17 /cgi-bin/eventManager.cgi?action=attach            -> events()
 *   the IP Camera Standard API 5.0.0 §5.4.2  /cgi-bin/admin/eventdata.cgi?action=get|monitor    -> eventData()
 *   the WV-V series HTTP API V2.40 §4.2.2  /cgi-bin/realmonitor.cgi?action=getStream  DH      -> realmonitor()
 *   the WV-V series HTTP API V2.40 §4.2.3  /cgi-bin/playBack.cgi?action=getStream     streamId=<id>\r\n + DH -> playback()
 *   the WV-V series HTTP API V2.40 §4.2.4  /cgi-bin/playBack.cgi?action=control       OK / operateId=n -> playback().control
 *   the WV-V series HTTP API V2.40 §4.11.6 /cgi-bin/loadfile.cgi?action=startLoad     DH/DHAV -> loadFile()
 *   the WV-V series HTTP API V2.40 §4.3.4  /cgi-bin/audio.cgi?action=getAudio         raw or multipart -> getAudio()
 *   the WV-V series HTTP API V2.40 §4.3.3  /cgi-bin/audio.cgi?action=postAudio        raw or multipart -> postAudio()
 *   any CGI          text answers: key=value, table., root., OK, Error -> cgi()
 */
import { randomBytes } from 'node:crypto';
import { Authenticator } from '../auth/authenticator.js';
import { ProtocolError } from '../errors.js';
import { boundaryFromContentType } from '../multipart/boundary.js';
import { MultipartParser, type MultipartOptions, type MultipartPart } from '../multipart/multipart-parser.js';
import { createDemuxer, sniff } from '../dh/sniff.js';
import type { DhDemuxerOptions, DhEvent, DhFrame, DhStats } from '../dh/types.js';
import { decodeAttachPart, type AttachMessage } from '../http/events/attach-events.js';
import { decodeEventDataPart, parseEventData, type EventDataStatus } from '../http/events/eventdata.js';
import { isOk, parseKeyValues, parseRootParams, parseTable, type RootParams, type TableNode } from '../http/text/camera-text.js';
import { expectOk, httpRequest, throwIfCameraError, type HttpRequestOptions, type HttpResponse } from './http-client.js';
import { parseHttpUrl } from '../http/url.js';
import type { StoredFile } from '../http/text/recordings.js';
import { downloadStoredFile, findRecordings, listStoredFiles, type FindRecordingsOptions, type RecordingSearch } from './camera-recordings.js';

export interface CameraHttpOptions {
  /** Override the base URL's credentials. */
  username?: string;
  password?: string;
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  /** Default 30 s; streams with rare data (events without keepalive) may want more. */
  idleTimeoutMs?: number;
  /** A complete response head within this time (default 30 s; see HttpRequestOptions). */
  headTimeoutMs?: number;
  rejectUnauthorized?: boolean;
  userAgent?: string;
  /** Shown every byte of every request both ways (a pcapng capture, `camstream dump`): src/capture/tap.ts. */
  tap?: import('../capture/tap.js').WireTap;
}

/** An endless (or long) answer being read: iterate it, then `close()` (or break out of `for await`). */
export interface HttpStream<T> extends AsyncIterable<T> {
  readonly response: HttpResponse;
  close(): void;
}

export interface MjpegFrame {
  /** The JPEG bytes: a view into a socket buffer or one exact copy; yours to keep. */
  jpeg: Uint8Array;
  /** 0-based part index in the stream. */
  index: number;
  /** Date.now() when the part was complete. */
  receivedAt: number;
  /** Declared part Content-Length (cameras are sometimes wrong: it may differ from jpeg.length). */
  contentLength?: number;
}

export interface MjpegStats {
  frames: number;
  bytes: number;
  /** Frames per second between the first and the last frame. */
  fps: number;
  /** Parts dropped by the multipart parser (over the size cap, truncated, bad headers). */
  dropped: number;
  firstAt: number;
  lastAt: number;
}

/**
 * What `mjpeg()` does with a part the multipart parser could not deliver (cut short by the end of
 * the stream, over `maxFrameSize`, bad part headers, no delimiter where one must be):
 * `'throw'` (default) ends the iteration with that `ProtocolError` after the frames before it;
 * `'skip'` counts it in `stats.dropped` and goes on (a stream with no delimiter at all still throws).
 */
export type MjpegPartErrorPolicy = 'throw' | 'skip';

export interface MjpegStream extends HttpStream<MjpegFrame> {
  readonly stats: Readonly<MjpegStats>;
}

export interface DhStream extends HttpStream<DhFrame> {
  readonly stats: Readonly<DhStats>;
}

export interface PlaybackControl {
  /** the WV-V series HTTP API V2.40 §4.2.4 cmd=play: resolves with the operateId that frames after it carry. */
  play(o?: { speed?: number; iframe?: boolean; seekTime?: Date | string }): Promise<number>;
  pause(): Promise<void>;
  /** Ends the stream on the camera (the stream then closes). */
  cancel(): Promise<void>;
}

export interface PlaybackSession {
  /** From the `streamId=<id>\r\n` preamble (the WV-V series HTTP API V2.40 §4.2.3). */
  readonly streamId: string;
  readonly frames: DhStream;
  readonly control: PlaybackControl;
  /** The operateId of the last play() (undefined before any). */
  readonly operateId: number | undefined;
  /**
   * True when `frame` follows the last control command: its extend header carries the operateId
   * play() returned (the WV-V series HTTP API V2.40 §4.2.4 "the video extend header will has same operateid"). Frames
   * still in flight from before the command are false. Before any play(), always true.
   */
  isCurrent(frame: DhFrame): boolean;
}

export interface AudioChunk {
  /** Raw audio bytes (G.711 etc.): a view or one exact copy, yours to keep. */
  data: Uint8Array;
  /** Part or response Content-Type (`Audio/G.711A`). */
  contentType: string;
  index: number;
}

export interface PostAudioResult {
  /** Audio bytes sent (without multipart framing). */
  bytes: number;
  parts: number;
  /** The camera's answer text (`OK`). */
  answer: string;
}

export interface StreamOptions {
  channel?: number;
  subtype?: number;
}

export interface CgiAnswer {
  status: number;
  text: string;
  /** the WV-V series HTTP API V2.40 `OK`. */
  readonly ok: boolean;
  keyValues(): Record<string, string>;
  table(): TableNode;
  rootParams(): RootParams;
}

/** the WV-V series HTTP API V2.40 §4.2.3 time format `yyyy-mm-dd hh:mm:ss`; a Date is written in this machine's local time (the camera's clock is local). */
export function formatCameraTime(t: Date | string): string {
  if (typeof t === 'string') return t;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
}

/** Query value as the vendor documents write them: percent-encoded, but `:` kept (`2012-10-8%2013:00:01`). */
function qv(v: string | number): string {
  return encodeURIComponent(String(v)).replace(/%3A/gi, ':');
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${typeof v === 'boolean' ? (v ? 1 : 0) : qv(v)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function makeStream<T>(response: HttpResponse, gen: AsyncGenerator<T>): HttpStream<T> {
  return {
    response,
    close: () => response.close(),
    [Symbol.asyncIterator]: () => gen,
  };
}

/**
 * Parts of a multipart/x-mixed-replace answer. `flush()` after each socket read delivers a part
 * whose Content-Length body is complete at once (events must not wait for the next delimiter).
 * A parser error for which `isFatal` says true ends the iteration with that error, after the parts
 * completed before it; the others go to `onDrop` and the stream goes on.
 */
async function* multipartParts(
  res: HttpResponse,
  opts: MultipartOptions,
  onDrop?: (e: ProtocolError) => void,
  isFatal?: (e: ProtocolError) => boolean,
): AsyncGenerator<MultipartPart> {
  const boundary = boundaryFromContentType(res.headers.get('content-type') ?? '');
  const ready: MultipartPart[] = [];
  let fatal: ProtocolError | undefined;
  /** Parts in `ready` before the fatal error: later ones are not delivered (chunking-independent). */
  let fatalAt = 0;
  const parser = new MultipartParser(
    boundary,
    {
      part: (p) => ready.push(p),
      error: (e) => {
        if (fatal) return;
        if (isFatal?.(e)) {
          fatal = withContext(e, { url: res.url });
          fatalAt = ready.length;
        } else onDrop?.(e);
      },
    },
    opts,
  );
  try {
    for await (const chunk of res.body) {
      parser.push(chunk);
      parser.flush();
      const n = fatal ? fatalAt : ready.length;
      for (let i = 0; i < n; i++) yield ready[i]!;
      ready.length = 0;
      if (fatal) throw fatal;
      if (parser.done) return;
    }
    parser.end();
    const n = fatal ? fatalAt : ready.length;
    for (let i = 0; i < n; i++) yield ready[i]!;
    if (fatal) throw fatal;
  } finally {
    res.close();
  }
}

function withContext(e: ProtocolError, context: Record<string, string>): ProtocolError {
  for (const [k, v] of Object.entries(context)) if (e.context[k] === undefined) e.context[k] = v;
  return e;
}

/** Options of the DH/DHAV endpoints (realmonitor, playback, loadFile, dh). */
export interface DhStreamOptions {
  demuxer?: DhDemuxerOptions;
  onEvent?: (e: DhEvent) => void;
  /**
   * Every body chunk as received, once the answer proved to be DH/DHAV (for a raw `.dav` copy). The
   * chunk is the socket's buffer: yours to keep; it is handed over before its frames are demuxed.
   */
  onBody?: (chunk: Uint8Array) => void;
  /** Body bytes allowed before the first frame (default 8 MiB): more is `HTTP_BAD_RESPONSE`. */
  maxBytesBeforeFirstFrame?: number;
}

const LEAD_BYTES = 16;

/**
 * Says what a body that should be DH/DHAV is instead, from its first bytes: a camera error text, a
 * JPEG, a multipart (MJPEG or event) stream, other text. `undefined` when it may be DH/DHAV (the
 * four magics, or binary bytes the demuxer will search through).
 */
function notDhReason(lead: Uint8Array, contentType: string): string | undefined {
  if (sniff(lead) !== 'unknown') return undefined;
  if (/^multipart\//i.test(contentType) || (lead[0] === 0x2d && lead[1] === 0x2d)) return 'a multipart stream (MJPEG or events), not DH/DHAV';
  if (lead[0] === 0xff && lead[1] === 0xd8) return 'a JPEG image, not a DH/DHAV stream';
  let printable = 0;
  for (const c of lead) if ((c >= 0x20 && c < 0x7f) || c === 0x0d || c === 0x0a || c === 0x09) printable++;
  if (lead.length > 0 && printable === lead.length) return 'text, not a DH/DHAV stream';
  return undefined;
}

/**
 * Pulls body chunks through a DH/DHAV demuxer; frames are handed out in arrival order. The first
 * bytes are checked before anything is demuxed or handed to `onBody`: an answer that is plainly not
 * DH/DHAV (a camera's `Error ... Invalid Request!`, a JPEG, an MJPEG stream) ends the iteration with
 * `HTTP_CAMERA_ERROR` / `HTTP_BAD_RESPONSE` instead of yielding nothing; so does a body that ends, or
 * passes `maxBytesBeforeFirstFrame`, without a single frame.
 */
class DhPump {
  readonly frames: DhFrame[] = [];
  private head = 0;
  readonly demuxer;
  private readonly it: AsyncIterator<Uint8Array>;
  ended = false;
  streamId: string | undefined;
  /** Chunks held until the first LEAD_BYTES bytes were checked (then undefined). */
  private held: Uint8Array[] | undefined = [];
  private heldBytes = 0;
  private bodyBytes = 0;
  private delivered = 0;
  private readonly onBody: ((c: Uint8Array) => void) | undefined;
  private readonly maxLead: number;

  constructor(
    private readonly res: HttpResponse,
    o: DhStreamOptions,
  ) {
    this.onBody = o.onBody;
    this.maxLead = o.maxBytesBeforeFirstFrame ?? 8 * 1024 * 1024;
    this.demuxer = createDemuxer(
      {
        frame: (f) => this.frames.push(f),
        event: (e) => {
          if (e.type === 'preamble' && this.streamId === undefined) this.streamId = e.streamId;
          o.onEvent?.(e);
        },
      },
      o.demuxer ?? {},
      'auto',
    );
    this.it = res.body[Symbol.asyncIterator]();
  }

  get pending(): number {
    return this.frames.length - this.head;
  }

  /** Reads one more body chunk into the demuxer; false at the end of the body. */
  async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      if (this.held) this.release();
      this.demuxer.end();
      if (this.bodyBytes > 0 && this.delivered + this.frames.length === 0) {
        throw new ProtocolError('HTTP_BAD_RESPONSE', `no DH/DHAV frame in the ${this.bodyBytes}-byte answer`, { context: { url: this.res.url } });
      }
      return false;
    }
    const c = r.value;
    this.bodyBytes += c.length;
    if (this.held) {
      this.held.push(c);
      this.heldBytes += c.length;
      if (this.heldBytes >= LEAD_BYTES) this.release();
    } else this.feed(c);
    if (this.delivered + this.frames.length === 0 && this.bodyBytes > this.maxLead) {
      throw new ProtocolError('HTTP_BAD_RESPONSE', `no DH/DHAV frame in the first ${this.bodyBytes} bytes of the answer`, { context: { url: this.res.url } });
    }
    return true;
  }

  /** Checks the first bytes, then feeds what was held. */
  private release(): void {
    const held = this.held!;
    this.held = undefined;
    const first = held.length === 1 ? held[0]! : Buffer.concat(held);
    const reason = notDhReason(first.subarray(0, LEAD_BYTES), this.res.headers.get('content-type') ?? '');
    if (reason !== undefined) {
      const text = Buffer.from(first.subarray(0, 1024)).toString('latin1');
      if (reason.startsWith('text')) throwIfCameraError(text, { url: this.res.url });
      throw new ProtocolError('HTTP_BAD_RESPONSE', `the answer is ${reason}`, {
        offset: 0,
        context: { url: this.res.url, contentType: this.res.headers.get('content-type') ?? '' },
        bytes: first.subarray(0, 64),
      });
    }
    for (const c of held) this.feed(c);
  }

  private feed(c: Uint8Array): void {
    this.onBody?.(c);
    this.demuxer.push(c);
  }

  take(): DhFrame {
    const f = this.frames[this.head]!;
    this.head++;
    this.delivered++;
    if (this.head === this.frames.length) {
      this.frames.length = 0;
      this.head = 0;
    }
    return f;
  }

  async *iterate(): AsyncGenerator<DhFrame> {
    try {
      for (;;) {
        while (this.pending > 0) yield this.take();
        if (!(await this.fill()) && this.pending === 0) return;
      }
    } finally {
      this.res.close();
    }
  }
}

/** The attach request line: a user's `path` as given, with only its missing parameters added. */
export function attachRequest(o: { codes?: string[] | 'All'; keepalive?: number; path?: string }): { path: string; keepalive: number | undefined } {
  const given = o.path ?? '/cgi-bin/eventManager.cgi?action=attach';
  const q = given.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : given.slice(q + 1));
  let path = given;
  const add = (kv: string): void => {
    path += (path.includes('?') ? (path.endsWith('?') || path.endsWith('&') ? '' : '&') : '?') + kv;
  };
  if (!params.has('action')) add('action=attach');
  if (!params.has('codes')) {
    const codes = o.codes === undefined || o.codes === 'All' ? ['All'] : o.codes;
    // the WV-V series HTTP API V2.40 §4.9.17 writes the list as [A%2CB%2CC]: brackets bare, commas escaped.
    add(`codes=[${codes.map((c) => encodeURIComponent(c)).join('%2C')}]`);
  }
  let keepalive: number | undefined;
  const k = params.get('keepalive');
  if (k !== null) {
    const n = Number(k);
    if (!(Number.isFinite(n) && n > 0)) throw new ProtocolError('INVALID_ARGUMENT', `keepalive=${k.slice(0, 16)} in the URL is not a number of seconds`);
    keepalive = n;
  } else if (o.keepalive !== undefined) {
    keepalive = Math.max(1, Math.round(o.keepalive));
    add(`keepalive=${keepalive}`);
  }
  return { path, keepalive };
}

export class CameraHttp {
  private readonly base: string;
  private readonly host: string;
  private readonly auth: Authenticator;
  private readonly options: CameraHttpOptions;

  /** `baseUrl`: `http://user:password@camera[:port]` (a path, if any, is ignored). */
  constructor(baseUrl: string, options: CameraHttpOptions = {}) {
    const u = parseHttpUrl(baseUrl);
    this.base = `${u.scheme}://${u.authority}`;
    this.host = u.host;
    this.options = options;
    const username = options.username ?? u.username;
    this.auth = new Authenticator(username !== undefined ? { username, password: options.password ?? u.password ?? '' } : undefined);
  }

  /** The base URL without credentials. */
  get url(): string {
    return this.base;
  }

  /** An authenticated request to `pathOrUrl` (a path on this camera, or a full URL: the IP Camera Standard API 5.0.0's :8008 stream). */
  async request(pathOrUrl: string, o: Omit<HttpRequestOptions, 'authenticator' | 'username' | 'password'> = {}): Promise<HttpResponse> {
    const url = /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : this.base + (pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`);
    // The same host on another port (the IP Camera Standard API 5.0.0's MJPEG on :8008) shares the credentials.
    const sameHost = parseHttpUrl(url).host === this.host;
    return httpRequest(url, {
      signal: this.options.signal,
      connectTimeoutMs: this.options.connectTimeoutMs,
      idleTimeoutMs: this.options.idleTimeoutMs,
      headTimeoutMs: this.options.headTimeoutMs,
      rejectUnauthorized: this.options.rejectUnauthorized,
      userAgent: this.options.userAgent,
      tap: this.options.tap,
      ...o,
      authenticator: sameHost ? this.auth : undefined,
    });
  }

  /** GET, 2xx expected, short text answer; `HTTP_CAMERA_ERROR` for the WV-V series HTTP API V2.40 §3.3 error bodies. */
  async cgi(path: string, params: Record<string, string | number | boolean | undefined> = {}): Promise<CgiAnswer> {
    const res = await expectOk(await this.request(path + query(params)));
    const text = await res.text(1024 * 1024);
    throwIfCameraError(text, { url: res.url });
    return {
      status: res.status,
      text,
      get ok() {
        return isOk(text);
      },
      keyValues: () => parseKeyValues(text),
      table: () => parseTable(text),
      rootParams: () => parseRootParams(text),
    };
  }

  /**
   * the WV-V series HTTP API V2.40 §4.2.1 MJPEG (`/cgi-bin/mjpg/video.cgi?channel=&subtype=`), or `{ url }` / `{ path }`
   * for other multipart JPEG streams (the IP Camera Standard API 5.0.0 §5.5.2 `http://<server>:8008`).
   */
  async mjpeg(o: StreamOptions & { url?: string; path?: string; maxFrameSize?: number; partErrors?: MjpegPartErrorPolicy } = {}): Promise<MjpegStream> {
    const target = o.url ?? o.path ?? `/cgi-bin/mjpg/video.cgi${query({ channel: o.channel, subtype: o.subtype })}`;
    const res = await expectOk(await this.request(target));
    const stats: MjpegStats = { frames: 0, bytes: 0, fps: 0, dropped: 0, firstAt: 0, lastAt: 0 };
    const policy = o.partErrors ?? 'throw';
    // A stream with no delimiter at all is never a normal end, whatever the policy.
    const isFatal = (e: ProtocolError): boolean => policy === 'throw' || (e.code === 'MULTIPART_BAD_DELIMITER' && stats.frames === 0);
    const parts = multipartParts(res, { maxPartSize: o.maxFrameSize ?? 8 * 1024 * 1024 }, () => stats.dropped++, (e) => {
      const fatal = isFatal(e);
      if (fatal) stats.dropped++;
      return fatal;
    });
    async function* frames(): AsyncGenerator<MjpegFrame> {
      for await (const p of parts) {
        const now = Date.now();
        if (stats.frames === 0) stats.firstAt = now;
        stats.lastAt = now;
        stats.frames++;
        stats.bytes += p.body.length;
        const span = (stats.lastAt - stats.firstAt) / 1000;
        stats.fps = span > 0 ? (stats.frames - 1) / span : 0;
        const f: MjpegFrame = { jpeg: p.body, index: p.index, receivedAt: now };
        if (p.contentLength !== undefined) f.contentLength = p.contentLength;
        yield f;
      }
    }
    return Object.assign(makeStream(res, frames()), { stats });
  }

  /** the WV-V series HTTP API V2.40 §4.4.2 snapshot.cgi, or `{ path: '/cgi-bin/jpg/image.cgi' }` (the IP Camera Standard API 5.0.0 §5.2.1). */
  async snapshot(o: { channel?: number; path?: string; maxBytes?: number } = {}): Promise<Uint8Array> {
    const res = await expectOk(await this.request(o.path ?? `/cgi-bin/snapshot.cgi${query({ channel: o.channel })}`));
    const body = await res.bytes(o.maxBytes ?? 16 * 1024 * 1024);
    if (!(body[0] === 0xff && body[1] === 0xd8)) {
      // Not a JPEG (SOI FF D8): a camera error in a 200, or something else.
      const text = Buffer.from(body.subarray(0, 1024)).toString('utf8');
      throwIfCameraError(text, { url: res.url });
      throw new ProtocolError('HTTP_BAD_RESPONSE', 'snapshot answer is not a JPEG', { context: { url: res.url, contentType: res.headers.get('content-type') ?? '' }, bytes: body });
    }
    return body;
  }

  /**
   * the WV-V series HTTP API V2.40 §4.9.17 event subscription. With `keepalive` (seconds) the camera expects the client to
   * send something on the connection every period ("the client must send any data to device by this
   * connection in cycle"): `keepaliveData` (default CRLF) is written twice per `keepalive` period.
   * Heartbeat lines are delivered too (`kind: 'heartbeat'`).
   *
   * `path`: an attach request as the user wrote it (`/cgi-bin/eventManager.cgi?action=attach&codes=[A]&keepalive=20`):
   * it is sent as given, and its `codes=` and `keepalive=` win; `codes`/`keepalive` only fill in what
   * it leaves out (and the keepalive bytes follow the period actually requested).
   */
  async events(o: { codes?: string[] | 'All'; keepalive?: number; keepaliveData?: string | Uint8Array; path?: string } = {}): Promise<HttpStream<AttachMessage>> {
    const req = attachRequest(o);
    const path = req.path;
    o = { ...o, keepalive: req.keepalive };
    const idle = o.keepalive !== undefined ? Math.max(this.options.idleTimeoutMs ?? 0, o.keepalive * 3000) : this.options.idleTimeoutMs ?? 0;
    const res = await expectOk(await this.request(path, { idleTimeoutMs: idle }));
    let timer: NodeJS.Timeout | undefined;
    if (o.keepalive !== undefined) {
      const data = o.keepaliveData ?? '\r\n';
      // Twice per period: a camera that times the connection out at exactly one period never
      // sees a gap from timer drift.
      timer = setInterval(() => {
        if (!res.write(data)) clearInterval(timer);
      }, o.keepalive * 500);
    }
    const parts = multipartParts(res, { maxPartSize: 1024 * 1024 });
    async function* messages(): AsyncGenerator<AttachMessage> {
      try {
        for await (const p of parts) for (const m of decodeAttachPart(p)) yield m;
      } finally {
        if (timer) clearInterval(timer);
      }
    }
    const gen = messages();
    return {
      response: res,
      close: () => {
        if (timer) clearInterval(timer);
        res.close();
      },
      [Symbol.asyncIterator]: () => gen,
    };
  }

  /** the IP Camera Standard API 5.0.0 §5.4.2 eventdata.cgi: `get` answers one status, `monitor` streams them. */
  eventData(o: { action: 'get'; group?: string | string[]; params?: Record<string, string> }): Promise<EventDataStatus>;
  eventData(o: { action: 'monitor'; group?: string | string[]; params?: Record<string, string> }): Promise<HttpStream<EventDataStatus>>;
  async eventData(o: { action: 'get' | 'monitor'; group?: string | string[]; params?: Record<string, string> }): Promise<EventDataStatus | HttpStream<EventDataStatus>> {
    const group = Array.isArray(o.group) ? o.group.join(',') : o.group;
    const path = `/cgi-bin/admin/eventdata.cgi${query({ action: o.action, group, ...o.params })}`;
    if (o.action === 'get') {
      const a = await this.cgi(path);
      return parseEventData(a.text);
    }
    const res = await expectOk(await this.request(path, { idleTimeoutMs: this.options.idleTimeoutMs ?? 0 }));
    const parts = multipartParts(res, { maxPartSize: 1024 * 1024 });
    async function* statuses(): AsyncGenerator<EventDataStatus> {
      for await (const p of parts) yield decodeEventDataPart(p);
    }
    return makeStream(res, statuses());
  }

  private async dhStream(path: string, o: DhStreamOptions): Promise<{ stream: DhStream; pump: DhPump }> {
    const res = await expectOk(await this.request(path));
    const ct = res.headers.get('content-type') ?? '';
    if (/^text\//i.test(ct)) {
      const text = await res.text(4096);
      throwIfCameraError(text, { url: res.url });
      throw new ProtocolError('HTTP_BAD_RESPONSE', 'expected a media stream, got text', { context: { url: res.url, body: text.slice(0, 120) } });
    }
    const pump = new DhPump(res, o);
    // A getter, not a copy: the demuxer's counters as they are now (the auto demuxer swaps its
    // stats object once it has recognised the format).
    const stream = Object.defineProperty(makeStream(res, pump.iterate()), 'stats', { get: (): DhStats => pump.demuxer.stats, enumerable: true }) as DhStream;
    return { stream, pump };
  }

  /**
   * Any DH/DHAV answer on this camera, by path or full URL as given (a realmonitor.cgi, playBack.cgi
   * or loadfile.cgi URL copied from elsewhere). See DhPump for what is refused.
   */
  async dh(pathOrUrl: string, o: DhStreamOptions = {}): Promise<DhStream> {
    return (await this.dhStream(pathOrUrl, o)).stream;
  }

  /** the WV-V series HTTP API V2.40 §4.2.2 live DH stream over HTTP. */
  async realmonitor(o: StreamOptions & DhStreamOptions = {}): Promise<DhStream> {
    const path = `/cgi-bin/realmonitor.cgi${query({ action: 'getStream', channel: o.channel ?? 1, subtype: o.subtype ?? 0 })}`;
    return (await this.dhStream(path, o)).stream;
  }

  /** the WV-V series HTTP API V2.40 §4.11.6 download of recorded media between two times, as frames. */
  async loadFile(o: StreamOptions & { startTime: Date | string; endTime: Date | string } & DhStreamOptions): Promise<DhStream> {
    const path = `/cgi-bin/loadfile.cgi${query({ action: 'startLoad', channel: o.channel ?? 1, startTime: formatCameraTime(o.startTime), endTime: formatCameraTime(o.endTime), subtype: o.subtype })}`;
    return (await this.dhStream(path, o)).stream;
  }

  /** the WV-V series HTTP API V2.40 §4.2.3/§4.2.4 playback stream with its control channel. */
  async playback(o: StreamOptions & { startTime: Date | string; endTime: Date | string } & DhStreamOptions): Promise<PlaybackSession> {
    const path = `/cgi-bin/playBack.cgi${query({ action: 'getStream', channel: o.channel ?? 1, subtype: o.subtype ?? 0, startTime: formatCameraTime(o.startTime), endTime: formatCameraTime(o.endTime) })}`;
    const { stream, pump } = await this.dhStream(path, o);
    // The preamble comes first; frames read meanwhile stay queued in the pump.
    try {
      while (pump.streamId === undefined && pump.pending === 0 && (await pump.fill()));
    } catch (e) {
      stream.close();
      throw e;
    }
    const streamId = pump.streamId;
    if (streamId === undefined) {
      stream.close();
      throw new ProtocolError('HTTP_BAD_RESPONSE', 'playback answer has no streamId= preamble (the WV-V series HTTP API V2.40 §4.2.3)', { context: { url: stream.response.url } });
    }
    let operateId: number | undefined;
    const control = async (cmd: string, extra: Record<string, string | number | boolean | undefined> = {}): Promise<CgiAnswer> =>
      this.cgi('/cgi-bin/playBack.cgi', { action: 'control', streamId, cmd, ...extra });
    return {
      streamId,
      frames: stream,
      get operateId() {
        return operateId;
      },
      isCurrent: (f) => operateId === undefined || f.meta.operateId === operateId,
      control: {
        play: async (p = {}) => {
          const a = await control('play', { speed: p.speed, iframe: p.iframe, seekTime: p.seekTime === undefined ? undefined : formatCameraTime(p.seekTime) });
          const id = Number(a.keyValues()['operateId']);
          if (!Number.isInteger(id)) throw new ProtocolError('HTTP_BAD_RESPONSE', 'play answer has no operateId', { context: { body: a.text.slice(0, 80) } });
          operateId = id;
          return id;
        },
        pause: async () => {
          await control('pause');
        },
        cancel: async () => {
          await control('cancel');
        },
      },
    };
  }

  /** WV-V series HTTP API V2.40 §4.11.5 mediaFileFind: see client/camera-recordings.ts. */
  findRecordings(q: FindRecordingsOptions): Promise<RecordingSearch> {
    return findRecordings(this, q);
  }

  /** IP Camera Standard API 5.0.0 §5.1.5 storagemanagement `action=list`. */
  listStoredFiles(): Promise<StoredFile[]> {
    return listStoredFiles(this);
  }

  /** IP Camera Standard API 5.0.0 §5.1.5 storagemanagement `action=download`: the file's bytes in `body`. */
  downloadStoredFile(name: string): Promise<HttpResponse> {
    return downloadStoredFile(this, name);
  }

  /** the WV-V series HTTP API V2.40 §4.3.4: audio as raw chunks (singlepart) or one chunk per part (multipart). */
  async getAudio(o: { channel?: number; httptype?: 'singlepart' | 'multipart' } = {}): Promise<HttpStream<AudioChunk>> {
    const httptype = o.httptype ?? 'singlepart';
    const res = await expectOk(await this.request(`/cgi-bin/audio.cgi${query({ action: 'getAudio', httptype, channel: o.channel ?? 1 })}`));
    const ct = res.headers.get('content-type') ?? '';
    if (/^multipart\//i.test(ct)) {
      const parts = multipartParts(res, { maxPartSize: 1024 * 1024 });
      const chunks = async function* (): AsyncGenerator<AudioChunk> {
        for await (const p of parts) yield { data: p.body, contentType: p.contentType, index: p.index };
      };
      return makeStream(res, chunks());
    }
    const raw = async function* (): AsyncGenerator<AudioChunk> {
      let index = 0;
      try {
        for await (const c of res.body) yield { data: c, contentType: ct, index: index++ };
      } finally {
        res.close();
      }
    };
    return makeStream(res, raw());
  }

  /**
   * the WV-V series HTTP API V2.40 §4.3.3: streams `source` to the camera's speaker. singlepart: one body declared
   * `Content-Length: 9999999` as the WV-V series HTTP API V2.40 shows, ended by half-closing the connection; multipart:
   * each buffer one part with its Content-Length, then the close delimiter.
   */
  async postAudio(o: { channel?: number; httptype?: 'singlepart' | 'multipart'; contentType?: string }, source: AsyncIterable<Uint8Array>): Promise<PostAudioResult> {
    const httptype = o.httptype ?? 'singlepart';
    const contentType = o.contentType ?? 'Audio/G.711A';
    const path = `/cgi-bin/audio.cgi${query({ action: 'postAudio', httptype, channel: o.channel ?? 1 })}`;
    const counted = { bytes: 0, parts: 0 };
    let res: HttpResponse;
    if (httptype === 'singlepart') {
      const body = async function* (): AsyncGenerator<Uint8Array> {
        for await (const c of source) {
          counted.bytes += c.length;
          counted.parts++;
          yield c;
        }
      };
      res = await this.request(path, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': '9999999' }, body: body() });
    } else {
      const boundary = `camstream${randomBytes(6).toString('hex')}`;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        for await (const c of source) {
          counted.bytes += c.length;
          counted.parts++;
          yield Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Length: ${c.length}\r\n\r\n`, 'latin1');
          yield c;
          yield Buffer.from('\r\n', 'latin1');
        }
        yield Buffer.from(`--${boundary}--\r\n`, 'latin1');
      };
      res = await this.request(path, { method: 'POST', headers: { 'Content-Type': `multipart/x-mixed-replace; boundary=${boundary}` }, body: body(), bodyFraming: 'close' });
    }
    await expectOk(res);
    const answer = (await res.text(4096)).trim();
    throwIfCameraError(answer, { url: res.url });
    return { bytes: counted.bytes, parts: counted.parts, answer };
  }
}
