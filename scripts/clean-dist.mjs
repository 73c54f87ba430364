// Removes dist/ before each build (`npm run build`, also run by prepack), so files of moved or deleted sources never linger or ship.
import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
