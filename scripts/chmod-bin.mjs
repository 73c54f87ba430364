// Makes the built CLI entry executable (tsc does not keep modes) so `npx camstream` works after `npm ci`.
import { chmodSync, existsSync } from 'node:fs';
const bin = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);
