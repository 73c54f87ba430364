#!/usr/bin/env node
/** The `camstream` binary (package.json "bin"): dispatches to the command registry. */
import { runCli } from './registry.js';

runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, { processSignals: true }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Only a bug gets here (commands' errors are handled by runCli); the message is not a URL.
    process.stderr.write(`camstream: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
