/**
 * The wire tap: how an I/O driver (RTSP client, HTTP client, transports) shows every byte it sends and
 * receives to an observer such as the pcapng capture writer or `camstream dump`. Drivers call it
 * synchronously with the bytes as they were on the wire (before any parsing, after TLS decryption) and
 * the receive/send time. The tap must not keep `bytes` past the call (copy what it needs): drivers
 * reuse their read buffers.
 *
 * Connections are numbered by the driver; one TCP connection (or UDP socket pair member) is one
 * `connection`. Redaction of credentials is the tap's job (it knows the format it writes).
 */
export interface WireEndpoint {
  address: string;
  port: number;
}

export interface WireConnection {
  /** Unique per tap, chosen by the driver. */
  id: number;
  protocol: 'tcp' | 'udp';
  /** Our side. */
  local: WireEndpoint;
  /** The server (for UDP: the server's RTP/RTCP port this socket talks to, when known). */
  remote: WireEndpoint;
  /** What the bytes are, so dissectors need no guessing: 'rtsp', 'http', 'rtp', 'rtcp'. */
  kind: 'rtsp' | 'http' | 'rtp' | 'rtcp';
}

export interface WireTap {
  open(connection: WireConnection, timeMs: number): void;
  /**
   * `in` = from the server, `out` = to the server. For UDP `from`/`to` give the datagram's real
   * source (in) or destination (out) when it differs from `connection.remote`.
   */
  data(connectionId: number, direction: 'in' | 'out', bytes: Uint8Array, timeMs: number, peer?: WireEndpoint): void;
  close(connectionId: number, timeMs: number): void;
}
