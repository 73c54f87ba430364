#!/usr/bin/env node
/** The `camstream` binary (package.json "bin"): dispatches to the command registry. */
import { runCli } from './registry.js';

runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`camstream: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
