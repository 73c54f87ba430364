// Removes dist/ before a pack, so files of deleted sources never ship (`npm run prepack`).
import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
