/**
 * The file driver for PcapngCapture: buffered synchronous writes (the tap is called synchronously from
 * the socket's read path, so there is no queue to grow), rotation to `name.1.pcapng`, `name.2.pcapng`,
 * ... with at most `maxFiles` kept (the oldest are deleted).
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { PcapngCapture, type PcapngCaptureOptions, type PcapngSink } from './capture.js';
import { secretForms } from './redact.js';

export interface CaptureFileOptions extends PcapngCaptureOptions {
  /** Files kept when rotating (default 10; the oldest beyond it are deleted). */
  maxFiles?: number;
  /** Credentials in use: every form of the password is scrubbed from the capture's text. */
  username?: string;
  password?: string;
}

/** `capture.pcapng` -> `capture.pcapng`, `capture.1.pcapng`, `capture.2.pcapng`, ... */
export function rotatedName(path: string, index: number): string {
  if (index === 0) return path;
  const m = /^(.*?)(\.pcapng|\.pcap)?$/i.exec(path)!;
  return `${m[1]}.${index}${m[2] ?? ''}`;
}

export class FileSink implements PcapngSink {
  private fd: number;
  private index = 0;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  /** Every file name written, in order (deleted ones included). */
  readonly names: string[] = [];

  constructor(
    private readonly path: string,
    private readonly maxFiles = 10,
  ) {
    this.fd = openSync(path, 'w');
    this.names.push(path);
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > this.buf.length - this.used) this.flush();
    if (bytes.length >= this.buf.length) {
      writeAll(this.fd, bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  rotate(): void {
    this.flush();
    closeSync(this.fd);
    this.index++;
    const name = rotatedName(this.path, this.index);
    this.fd = openSync(name, 'w');
    this.names.push(name);
    const old = this.index - this.maxFiles;
    if (old >= 0) {
      try {
        unlinkSync(rotatedName(this.path, old));
      } catch {
        // Already gone (the user moved it): nothing to do.
      }
    }
  }

  flush(): void {
    if (this.used === 0) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
}

/** A capture file with its driver. `close()` ends open connections (FIN) and closes the file. */
export interface CaptureFile {
  tap: PcapngCapture;
  sink: FileSink;
  close(timeMs?: number): void;
}

export function openCaptureFile(path: string, options: CaptureFileOptions = {}): CaptureFile {
  const sink = new FileSink(path, options.maxFiles ?? 10);
  const secrets = [...(options.secrets ?? []), ...secretForms(options.username, options.password)];
  const tap = new PcapngCapture(sink, { ...options, secrets });
  let closed = false;
  return {
    tap,
    sink,
    close(timeMs = Date.now()) {
      if (closed) return;
      closed = true;
      tap.end(timeMs);
      sink.close();
    },
  };
}

/**
 * The `--capture FILE` option of the CLI commands: a capture file for a session to `url`, with every form
 * of the URL's password scrubbed; undefined when no file was asked for.
 */
export function captureForUrl(path: string | undefined, url: string, options: CaptureFileOptions = {}): CaptureFile | undefined {
  if (!path) return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  let username: string | undefined;
  let password: string | undefined;
  if (m) {
    const info = m[1]!;
    const colon = info.indexOf(':');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    username = dec(colon < 0 ? info : info.slice(0, colon));
    password = colon < 0 ? undefined : dec(info.slice(colon + 1));
  }
  return openCaptureFile(path, { username: options.username ?? username, password: options.password ?? password, ...options });
}
