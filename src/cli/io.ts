/** The streams a CLI command talks to; injected so commands run in-process in tests. */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /**
   * Fires when the command should stop early and end normally: Ctrl-C/SIGTERM (for commands with
   * `handlesSignals`), or the reader of stdout went away (EPIPE). Its `reason` is a `StopReason`.
   */
  signal?: AbortSignal;
}

/** Why `CliIo.signal` fired. */
export type StopReason = 'signal' | 'output-closed';

/** A command module: `src/cli/commands/<name>.ts`. */
export interface CliCommand {
  /** One line for `camstream --help`. */
  summary: string;
  /** Resolves to the process exit code (see EXIT in registry.ts). */
  run(argv: string[], io: CliIo): Promise<number>;
  /**
   * True when the command ends cleanly on `io.signal` (record, mjpeg, events): the binary then turns
   * SIGINT/SIGTERM into that signal instead of letting them kill the process.
   */
  handlesSignals?: boolean;
}

/** Thrown by `write` when stdout's reader is gone (EPIPE): the command stops, the CLI exits 0. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
  }
}

/** True for the errors a write to a pipe whose reader left produces. */
export function isClosedPipe(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof OutputClosed || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/**
 * Writes and waits for 'drain' when the stream asks (bounded memory on big outputs). Rejects with
 * `OutputClosed` when the stream is gone or goes away while waiting (never waits forever).
 */
export async function write(out: Writable, text: string | Uint8Array): Promise<void> {
  if (out.destroyed || out.writableEnded || out.errored) throw new OutputClosed();
  if (out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      cleanup();
      resolve();
    };
    const gone = (): void => {
      cleanup();
      reject(new OutputClosed());
    };
    const cleanup = (): void => {
      out.off('drain', done);
      out.off('close', gone);
      out.off('error', gone);
    };
    out.on('drain', done);
    out.on('close', gone);
    out.on('error', gone);
  });
}
