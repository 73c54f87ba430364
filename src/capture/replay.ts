/**
 * Replay: the server side of a captured RTSP session fed through the same RtspSession (parser, session
 * state machine, sequence tracking, depacketizers) a live RtspClient drives, on the captured clock, with
 * no network. What the live run produced — frames, warnings, the error that ended it — comes out again.
 *
 * How the two sides stay in step: the capture's client side says which verbs the live client used, in
 * which order (OPTIONS/DESCRIBE -> describe(), SETUP url -> setup(track), PLAY -> play(), PAUSE,
 * TEARDOWN); the replay calls the same verbs when the capture shows them, and feeds each chunk the
 * server sent only once the session has written as many requests as the live client had at that point
 * (so CSeqs match). Timers run on the capture clock: the session's deadlines are ticked as captured time
 * passes, so keepalives, receiver reports and timeouts happen as they did.
 *
 * Credentials are not in captures: a 401 is answered with placeholder credentials, which the captured
 * server side "accepts" as it did the real ones.
 *
 * UDP transports: the datagrams of the sockets the live client set up (its `client_port` pairs, found
 * in the captured SETUP requests) go to the session too. RTP passes through a reorder buffer on the
 * captured clock, as it did live (rtp/reorder.ts, the live client's defaults unless `udp` says
 * otherwise); datagrams from any sender but the session's server are dropped, as they were live.
 *
 * Limits: one control connection; multicast datagrams are not replayed.
 */
import { RtspSession } from '../rtsp/session/session.js';
import type { EndReason, RtspFrame, RtspSessionOptions, TrackTransport } from '../rtsp/session/types.js';
import { parseTransport } from '../rtsp/headers.js';
import { RtspStreamParser } from '../rtsp/rtsp-parser.js';
import { stripCredentials } from '../rtsp/url.js';
import { ProtocolError } from '../errors.js';
import type { CaptureEvent } from './read.js';
import { ReorderBuffer } from '../rtp/reorder.js';

export interface ReplayOptions extends Omit<RtspSessionOptions, 'username' | 'password'> {
  onFrame?: (frame: RtspFrame) => void;
  onWarning?: (warning: ProtocolError) => void;
  /** Stop after this many frames (as `record --frames N` did live). */
  maxFrames?: number;
  /** UDP: the live client's reorder window, when it was not the default (512 packets, 100 ms). */
  udp?: { reorderCapacity?: number; reorderDelayMs?: number };
}

export interface ReplayResult {
  /** The control connection's request URL (credentials never included). */
  url: string;
  frames: number;
  warnings: ProtocolError[];
  /** Why the session ended ('end' when the capture ran out while playing). */
  endReason: EndReason | 'capture-end';
  error: ProtocolError | undefined;
  /** Requests the replayed session wrote, in order (`METHOD url`). */
  requests: string[];
  /** Tracks set up (SDP media index). */
  tracks: number[];
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface CapturedRequest {
  method: string;
  url: string;
  /** SETUP: the Transport header as sent. */
  transport?: string;
}

/** The transport a captured SETUP asked for, as the session's TrackTransport. */
function trackTransport(header: string | undefined): TrackTransport | undefined {
  const spec = header ? parseTransport(header) : undefined;
  if (!spec) return undefined;
  if (spec.lowerTransport === 'TCP') return spec.interleaved ? { kind: 'interleaved', channels: spec.interleaved } : { kind: 'interleaved' };
  if (spec.delivery === 'multicast') return { kind: 'multicast' };
  return spec.clientPort ? { kind: 'udp', clientPort: spec.clientPort } : undefined;
}

/** Runs the capture's first RTSP connection through an RtspSession. */
export async function replayCapture(events: readonly CaptureEvent[], o: ReplayOptions = {}): Promise<ReplayResult> {
  const open = events.find((e): e is Extract<CaptureEvent, { type: 'open' }> => e.type === 'open' && e.connection.protocol === 'tcp' && e.connection.kind === 'rtsp');
  if (!open) throw new ProtocolError('CAPTURE_BAD_FILE', 'the capture holds no RTSP connection');
  const id = open.connection.id;

  // The live client's requests, and how many of them preceded each chunk from the server.
  const captured: CapturedRequest[] = [];
  const outParser = new RtspStreamParser({
    message: (m) => {
      if (m.head.kind === 'request') captured.push({ method: m.head.method, url: stripCredentials(m.head.uri), transport: m.head.headers.get('transport') });
    },
    interleaved: () => undefined,
    error: () => undefined,
  });
  for (const e of events) if (e.type === 'data' && e.id === id && e.direction === 'out') outParser.push(e.bytes);
  // The UDP sockets the live client set up: its client_port pairs.
  const clientPorts = new Set<number>();
  for (const r of captured) {
    const tr = trackTransport(r.transport);
    if (tr?.kind === 'udp' && tr.clientPort) for (const p of tr.clientPort) clientPorts.add(p);
  }
  const udpConns = new Map<number, { port: number; remote: string; remotePort: number }>();
  for (const e of events) {
    if (e.type === 'open' && e.connection.protocol === 'udp' && clientPorts.has(e.connection.local.port)) {
      udpConns.set(e.connection.id, { port: e.connection.local.port, remote: e.connection.remote.address, remotePort: e.connection.remote.port });
    }
  }
  const mine = events.filter((e) => {
    const cid = e.type === 'open' ? e.connection.id : e.id;
    return cid === id || udpConns.has(cid);
  });
  // How many requests preceded each event (a second pass: the same requests, counted per chunk).
  const steps: { e: CaptureEvent; requestsBefore: number; newRequests: CapturedRequest[] }[] = [];
  let seen = 0;
  const counter = new RtspStreamParser({
    message: (m) => {
      if (m.head.kind === 'request') seen++;
    },
    interleaved: () => undefined,
    error: () => undefined,
  });
  for (const e of mine) {
    const before = seen;
    if (e.type === 'data' && e.id === id && e.direction === 'out') counter.push(e.bytes);
    steps.push({ e, requestsBefore: before, newRequests: captured.slice(before, seen) });
  }
  const url = captured[0]?.url;
  if (!url) throw new ProtocolError('CAPTURE_BAD_FILE', 'the capture holds no RTSP request from the client');

  const result: ReplayResult = { url, frames: 0, warnings: [], endReason: 'capture-end', error: undefined, requests: [], tracks: [] };
  let clock = open.timeMs;
  let deadline = Infinity;
  let ended = false;
  let stopped = false;
  const written = new RtspStreamParser({
    message: (m) => {
      if (m.head.kind === 'request') result.requests.push(`${m.head.method} ${stripCredentials(m.head.uri)}`);
    },
    interleaved: () => undefined,
    error: () => undefined,
  });
  const session: RtspSession = new RtspSession(
    url,
    {
      write: (bytes) => written.push(bytes),
      connect: () => queueMicrotask(() => session.connected(clock)),
      frame: (f) => {
        if (stopped) return;
        result.frames++;
        o.onFrame?.(f);
        if (o.maxFrames !== undefined && result.frames >= o.maxFrames) stopped = true;
      },
      warning: (w) => {
        result.warnings.push(w);
        o.onWarning?.(w);
      },
      deadline: (at) => (deadline = at),
      end: (reason, error) => {
        ended = true;
        result.endReason = reason;
        result.error = error;
      },
    },
    { ...o, username: 'replay', password: 'replay' },
  );

  // Verbs run concurrently with the feed; their rejections are the session's error (already recorded).
  const pendingVerbs = new Set<Promise<unknown>>();
  const run = (p: Promise<unknown>): void => {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    pendingVerbs.add(q);
    void q.then(() => pendingVerbs.delete(q));
  };
  let described = false;
  const setupUrls = new Set<string>();
  /** UDP: the track and socket each client port belongs to (from the replayed SETUPs). */
  const portTrack = new Map<number, { track: number; rtcp: boolean }>();
  const reorders = new Map<number, ReorderBuffer<Uint8Array>>();
  let foreignWarned = false;
  const reorderFor = (track: number): ReorderBuffer<Uint8Array> => {
    let r = reorders.get(track);
    if (!r) {
      r = new ReorderBuffer<Uint8Array>({ packet: (d) => session.receiveRtp(track, d, 0, d.length, clock) }, { capacity: o.udp?.reorderCapacity, maxDelayMs: o.udp?.reorderDelayMs });
      reorders.set(track, r);
    }
    return r;
  };
  const controlRemote = open.connection.remote.address;
  /** One datagram the live client received on a UDP socket of the session. */
  const datagram = (conn: { port: number; remote: string; remotePort: number }, bytes: Uint8Array): void => {
    const pt = portTrack.get(conn.port);
    if (!pt) return;
    const tr = session.description?.tracks[pt.track]?.transport;
    // As the live client (client/transport-select.ts): the answer's `source=` when it is an address.
    const source = tr?.source && /^[\d.]+$|:/.test(tr.source) ? tr.source : controlRemote;
    const serverPort = tr?.serverPort?.[pt.rtcp ? 1 : 0];
    if (conn.remote !== source || (serverPort !== undefined && conn.remotePort !== serverPort)) {
      // Not the session's server: the live client counted and dropped it (transport/udp.ts).
      if (!foreignWarned) {
        foreignWarned = true;
        result.warnings.push(new ProtocolError('RTP_BAD_PACKET', `${pt.rtcp ? 'RTCP' : 'RTP'} datagram from ${conn.remote}:${conn.remotePort}, not the session's server: dropped`, { context: { from: `${conn.remote}:${conn.remotePort}` } }));
      }
      return;
    }
    if (pt.rtcp) session.receiveRtcp(pt.track, bytes, 0, bytes.length, clock);
    else if (bytes.length >= 12 && bytes[0]! >> 6 === 2) reorderFor(pt.track).push((bytes[2]! << 8) | bytes[3]!, bytes, clock);
  };
  /** Waits (bounded) for the verbs in flight: the live client awaited each before the next. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 200 && pendingVerbs.size > 0 && !ended; i++) await yieldTurn();
  };
  const startVerb = async (r: CapturedRequest): Promise<void> => {
    if (ended) return;
    switch (r.method) {
      case 'OPTIONS':
      case 'DESCRIBE':
        if (!described) {
          described = true;
          run(session.describe(clock));
        }
        return;
      case 'SETUP': {
        // The same SETUP again is an auth retry (the session repeats it itself); another Transport is
        // the live client's fallback (UDP refused with 461 -> TCP interleaved), made here too.
        const key = `${r.url} ${r.transport ?? ''}`;
        if (setupUrls.has(key)) return;
        setupUrls.add(key);
        await settle();
        const tracks = session.description?.tracks ?? [];
        const t = tracks.find((x) => x.control === r.url) ?? tracks.find((x) => r.url.endsWith(x.media.control ?? '\u0000'));
        if (t) {
          if (!result.tracks.includes(t.index)) result.tracks.push(t.index);
          const tt = trackTransport(r.transport);
          if (tt?.kind === 'udp' && tt.clientPort) {
            portTrack.set(tt.clientPort[0], { track: t.index, rtcp: false });
            portTrack.set(tt.clientPort[1], { track: t.index, rtcp: true });
          }
          run(session.setup(t.index, clock, tt));
        }
        return;
      }
      case 'PLAY':
        await settle();
        if (session.state === 'ready' || session.state === 'paused') run(session.play(clock));
        return;
      case 'PAUSE':
        await settle();
        if (session.state === 'playing') run(session.pause(clock));
        return;
      case 'TEARDOWN':
        run(session.teardown(clock));
        return;
      default:
        // Keepalives and answers come from the session's own timers.
        return;
    }
  };

  const advanceTo = (t: number): void => {
    for (;;) {
      if (ended) break;
      let next = deadline;
      for (const r of reorders.values()) if (r.deadline !== undefined && r.deadline < next) next = r.deadline;
      if (next > t) break;
      clock = Math.max(clock, next);
      for (const r of reorders.values()) if (r.deadline !== undefined && r.deadline <= clock) r.tick(clock);
      if (deadline <= clock) session.tick(clock);
    }
    clock = Math.max(clock, t);
  };

  for (const { e, requestsBefore, newRequests } of steps) {
    // After maxFrames the feed goes on (frames are no longer delivered), as the live session went on
    // receiving until its TEARDOWN was answered.
    if (ended) break;
    if (e.type === 'open') continue;
    advanceTo(e.timeMs);
    const udp = udpConns.get(e.id);
    if (udp) {
      if (e.type === 'data' && e.direction === 'in') datagram(udp, e.bytes);
      else if (e.type === 'close') for (const r of reorders.values()) r.flush();
      continue;
    }
    if (e.type === 'data' && e.direction === 'out') {
      for (const r of newRequests) await startVerb(r);
      continue;
    }
    if (e.type === 'data') {
      // The server answered requests the live client had sent: wait until ours are out too.
      for (let spins = 0; result.requests.length < requestsBefore && !ended && spins < 1000; spins++) {
        if (pendingVerbs.size > 0) await yieldTurn();
        else if (deadline <= e.timeMs + 10_000) advanceTo(deadline);
        else break;
      }
      session.receive(e.bytes, e.timeMs);
      if (pendingVerbs.size > 0) await yieldTurn();
      continue;
    }
    if (e.type === 'gap') {
      result.warnings.push(new ProtocolError('CAPTURE_BAD_FILE', `${e.bytes} bytes missing from the capture`, { context: { direction: e.direction } }));
      continue;
    }
    if (e.type === 'close') session.disconnected(e.timeMs);
  }
  for (let i = 0; i < 100 && pendingVerbs.size > 0 && !ended; i++) await yieldTurn();
  if (!ended) {
    // The capture ends here: close the session without more I/O.
    session.fail(new ProtocolError('CONNECTION_CLOSED', 'end of capture', { context: { url } }));
    result.endReason = 'capture-end';
    result.error = undefined;
  }
  return result;
}
