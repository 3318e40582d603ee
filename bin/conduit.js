#!/usr/bin/env node
// Entry point. Runs the build in dist/ (plain JavaScript: no transpiler, one process). In a checkout whose server or
// CLI sources changed since the last `npm run build`, it runs src/ through tsx (a dev dependency) instead, so
// `npm test` and `npm start` always run the current code. An installed package has no src/ and skips the check.
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/index.js', root);

async function buildIsStale() {
  if (!existsSync(new URL('src/cli/index.ts', root))) return false;
  if (!existsSync(built)) return true;
  const { BUILD_INFO, sourceFingerprint } = await import('../scripts/build-fingerprint.mjs');
  try {
    return JSON.parse(readFileSync(new URL(BUILD_INFO, root), 'utf8')).sources !== sourceFingerprint(root);
  } catch {
    return true; // no build info: a build in progress or an interrupted one
  }
}

let entry = built;
if (await buildIsStale()) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    // No dev dependencies (e.g. `npm ci --omit=dev`): the build is all there is.
    if (!existsSync(built)) {
      process.stderr.write('conduit: not built: run `npm ci` then `npm run build` (see docs/production.md)\n');
      process.exit(1);
    }
    process.stderr.write('conduit: src/ changed since the build in dist/ and tsx is not installed: running dist/\n');
  }
  if (register) {
    register();
    entry = new URL('src/cli/index.ts', root);
  }
}
const { runCli } = await import(entry.href);
await runCli(process.argv);
