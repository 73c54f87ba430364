/**
 * Tiny declarative argument parser for CLI commands: flags, valued options, positionals. Messages
 * never echo a URL's password (arguments are shown through `shownArg`).
 */
import { shownArg } from './redact.js';
import { TRANSPORT_MODES, type TransportMode } from '../client/transport-select.js';

/** A mistake on the command line: exit status 2. */
export class UsageError extends Error {}

export interface ArgSpec {
  /** Boolean flags, e.g. ['--json']. */
  flags?: readonly string[];
  /** Options taking a value; aliases map to the canonical name (e.g. { '-o': '--out' }). */
  options?: readonly string[];
  aliases?: Record<string, string>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
  help: boolean;
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Set(), options: new Map(), help: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '--help' || raw === '-h') {
      out.help = true;
      continue;
    }
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name0 = eq > 0 ? raw.slice(0, eq) : raw;
    const name = spec.aliases?.[name0] ?? name0;
    if (spec.flags?.includes(name)) out.flags.add(name);
    else if (spec.options?.includes(name)) {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      out.options.set(name, v);
    } else if (raw.startsWith('-') && raw !== '-') throw new UsageError(`unknown option ${shownArg(raw)}`);
    else out.positionals.push(raw);
  }
  return out;
}

/** A positive number option, or undefined when absent; throws UsageError when malformed. */
/** `--transport T`: one of the RtspClient transport modes, or undefined when not given. */
export function transportOption(a: ParsedArgs): TransportMode | undefined {
  const v = a.options.get('--transport');
  if (v === undefined) return undefined;
  if (!(TRANSPORT_MODES as readonly string[]).includes(v)) throw new UsageError(`--transport ${shownArg(v)}: one of ${TRANSPORT_MODES.join(', ')}`);
  return v as TransportMode;
}

export function numberOption(a: ParsedArgs, name: string): number | undefined {
  const v = a.options.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, not '${shownArg(v)}'`);
  return n;
}
