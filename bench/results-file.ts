/** bench/RESULTS.md is made of marked sections, each rewritten by the script that owns it. */
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** Works from both bench/ (source) and build/bench/ (compiled). */
const benchDir = here.includes(`${'/build/'}`) ? join(here, '..', '..', 'bench') : here;
export const resultsPath = join(benchDir, 'RESULTS.md');
export const floorsPath = join(benchDir, 'floors.json');

export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}
