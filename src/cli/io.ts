/** The streams a CLI command talks to; injected so commands run in-process in tests. */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** A command module: `src/cli/commands/<name>.ts`. */
export interface CliCommand {
  /** One line for `camstream --help`. */
  summary: string;
  /** Resolves to the process exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Writes and waits for 'drain' when the stream asks (bounded memory on big outputs). */
export async function write(out: Writable, text: string | Uint8Array): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
}
