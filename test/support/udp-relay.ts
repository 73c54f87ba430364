/**
 * A user-space impairment relay for RTP over UDP (the kernel here has no netem): an RTSP proxy that
 * rewrites `client_port=` / `server_port=` in SETUP so media flows through it, and forwards each RTP
 * datagram from the server according to a plan: pass, drop, duplicate, or hold it back until `n`
 * more packets went by (reordering). RTCP passes both ways. Loopback only; one session at a time.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as Dgram } from 'node:dgram';
import { once } from 'node:events';

export type RelayAction = 'pass' | 'drop' | 'dup' | { hold: number };

export interface UdpRelayOptions {
  /** The RTSP server behind the relay. */
  target: { host: string; port: number };
  /** What to do with the `index`-th RTP datagram from the server (0-based, per track). */
  plan?: (index: number, packet: Buffer, track: number) => RelayAction;
}

interface TrackPipe {
  /** Server-facing pair (its ports go into the forwarded SETUP as client_port). */
  srvRtp: Dgram;
  srvRtcp: Dgram;
  /** Client-facing pair (its ports replace server_port in the answer). */
  cliRtp: Dgram;
  cliRtcp: Dgram;
  client: [number, number];
  server: [number, number] | undefined;
  held: { packet: Buffer; release: number }[];
  index: number;
}

export class UdpRelay {
  /** Every RTP datagram the server sent, per track, in order. */
  readonly sent: Buffer[][] = [];
  /** Every RTP datagram forwarded to the client, per track, in the order forwarded. */
  readonly forwarded: Buffer[][] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pipes: TrackPipe[] = [];
  port = 0;

  constructor(private readonly o: UdpRelayOptions) {}

  async start(): Promise<this> {
    const server = createServer((c) => this.accept(c));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  url(path: string): string {
    return `rtsp://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const p of this.pipes) for (const d of [p.srvRtp, p.srvRtcp, p.cliRtp, p.cliRtcp]) d.close();
    this.pipes.length = 0;
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise((r) => s.close(r));
  }

  private accept(c: Socket): void {
    const up = connect(this.o.target.port, this.o.target.host);
    this.sockets.add(c);
    this.sockets.add(up);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    let pending: Promise<void> = Promise.resolve();
    this.frame(c, (msg) => {
      // Requests in order: SETUP needs its server-facing pair bound before it goes on.
      pending = pending.then(async () => void up.write(await this.rewriteRequest(msg)));
    });
    this.frame(up, (msg) => {
      pending = pending.then(() => void c.write(this.rewriteResponse(msg)));
    });
  }

  /** Splits a byte stream into RTSP messages (head + Content-Length body). */
  private frame(s: Socket, on: (msg: string) => void): void {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        on(buf.slice(0, total));
        buf = buf.slice(total);
      }
    });
  }

  private async rewriteRequest(msg: string): Promise<Buffer> {
    const m = /client_port=(\d+)-(\d+)/.exec(msg);
    if (!/^SETUP /.test(msg) || !m) return Buffer.from(msg, 'latin1');
    const track = this.pipes.length;
    const bind = async (): Promise<Dgram> => {
      const d = createSocket('udp4');
      d.bind(0, '127.0.0.1');
      await once(d, 'listening');
      return d;
    };
    const p: TrackPipe = { srvRtp: await bind(), srvRtcp: await bind(), cliRtp: await bind(), cliRtcp: await bind(), client: [Number(m[1]), Number(m[2])], server: undefined, held: [], index: 0 };
    this.pipes.push(p);
    this.sent.push([]);
    this.forwarded.push([]);
    p.srvRtp.on('message', (pkt) => this.onRtp(p, track, pkt));
    p.srvRtcp.on('message', (pkt) => p.cliRtcp.send(pkt, p.client[1], '127.0.0.1'));
    p.cliRtcp.on('message', (pkt) => p.server && p.srvRtcp.send(pkt, p.server[1], '127.0.0.1'));
    p.cliRtp.on('message', (pkt) => p.server && p.srvRtp.send(pkt, p.server[0], '127.0.0.1'));
    const ports = `client_port=${p.srvRtp.address().port}-${p.srvRtcp.address().port}`;
    return Buffer.from(msg.replace(/client_port=\d+-\d+/, ports), 'latin1');
  }

  private rewriteResponse(msg: string): Buffer {
    const m = /server_port=(\d+)-(\d+)/.exec(msg);
    const p = this.pipes.at(-1);
    if (!m || !p || p.server) return Buffer.from(msg, 'latin1');
    p.server = [Number(m[1]), Number(m[2])];
    const out = msg
      .replace(/server_port=\d+-\d+/, `server_port=${p.cliRtp.address().port}-${p.cliRtcp.address().port}`)
      .replace(/client_port=\d+-\d+/, `client_port=${p.client[0]}-${p.client[1]}`);
    return Buffer.from(out, 'latin1');
  }

  private onRtp(p: TrackPipe, track: number, pkt: Buffer): void {
    const i = p.index++;
    this.sent[track]!.push(pkt);
    const a = this.o.plan?.(i, pkt, track) ?? 'pass';
    const send = (b: Buffer): void => {
      this.forwarded[track]!.push(b);
      p.cliRtp.send(b, p.client[0], '127.0.0.1');
    };
    if (a === 'dup') {
      send(pkt);
      send(pkt);
    } else if (a === 'pass') send(pkt);
    else if (a !== 'drop') p.held.push({ packet: pkt, release: i + a.hold });
    // Held packets leave after the packet they wait for.
    for (let k = 0; k < p.held.length; ) {
      const h = p.held[k]!;
      if (h.release <= i && h.packet !== pkt) {
        send(h.packet);
        p.held.splice(k, 1);
      } else k++;
    }
  }
}
