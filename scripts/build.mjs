// `npm run build`: the server and CLI compiled to JavaScript in dist/ (tsc, tsconfig.build.json), the element
// definitions and other data files beside them, then the console built by vite into dist/web.
//   node scripts/build.mjs [--server] [--web]      (neither: both)
// Types are not checked here (`npm run typecheck` does that, in CI): the build only transpiles, so it stays fast.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INFO, sourceFingerprint } from './build-fingerprint.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
/** A dev dependency's command (typescript, vite), run with this Node.js. */
const devBin = (pkg, bin) => join(root, 'node_modules', pkg, bin);
const args = process.argv.slice(2);
const only = (part) => args.length === 0 || args.includes(`--${part}`);

function run(bin, binArgs) {
  const res = spawnSync(process.execPath, [bin, ...binArgs], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    process.stderr.write(`build: ${bin.split('node_modules/').pop()} ${binArgs.join(' ')} failed\n`);
    process.exit(res.status ?? 1);
  }
}

if (only('server')) {
  const started = Date.now();
  // Taken before compiling: a source edited during the build makes the build stale, not falsely fresh.
  const sources = sourceFingerprint(root);
  const dist = join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  // A clean output (the console in dist/web is vite's own): no module of a deleted source is left behind.
  for (const entry of readdirSync(dist))
    if (entry !== 'web') rmSync(join(dist, entry), { recursive: true, force: true });
  run(devBin('typescript', 'bin/tsc'), ['-p', 'tsconfig.build.json', '--noCheck']);
  // Data files read at run time next to their module (src/elements/*/definition.json).
  cpSync(join(root, 'src'), dist, {
    recursive: true,
    filter: (from) => !from.startsWith(join(root, 'src/web')) && !/\.(tsx?|md)$/.test(from),
  });
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(join(root, BUILD_INFO), `${JSON.stringify({ version, sources }, null, 2)}\n`);
  process.stdout.write(`build: server and CLI → dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (only('web')) {
  const started = Date.now();
  run(devBin('vite', 'bin/vite.js'), ['build', '--config', 'src/web/vite.config.ts']);
  process.stdout.write(`build: console → dist/web in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
