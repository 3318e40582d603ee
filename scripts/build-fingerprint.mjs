// What a build was made from: the server and CLI sources (src/ without tests and the console), by path, size and
// modification time. `scripts/build.mjs` records it in dist/build-info.json; `bin/conduit.js` compares it at start
// in a checkout, so a changed, added or deleted source file makes it run the sources instead of a stale build.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD_INFO = 'dist/build-info.json';

const counted = (path) => !path.startsWith(`web/`) && !path.endsWith('.test.ts') && !path.includes('/.');

/** A hash of every counted file under `<root>/src`; stat only, no reads, so it costs ~1 ms per 100 files. */
export function sourceFingerprint(root) {
  const src = join(typeof root === 'string' ? root : fileURLToPath(root), 'src');
  const hash = createHash('sha256');
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) =>
      join(d.parentPath ?? d.path, d.name)
        .slice(src.length + 1)
        .replaceAll('\\', '/'),
    )
    .filter(counted)
    .sort();
  for (const file of files) {
    const s = statSync(join(src, file));
    hash.update(`${file}\t${s.size}\t${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}
