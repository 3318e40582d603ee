// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and prints their figures.
// Each bench runs in a fresh process: one bench's leftovers (a large heap, timers, open pools) would otherwise
// tax the next one's figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const folder = new URL('./', import.meta.url);
const [flag, single] = process.argv.slice(2);

if (flag === '--file' && single) {
  const mod = (await import(new URL(single, folder).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') throw new Error(`${single} does not export run()`);
  await mod.run();
  process.exit(0);
}

const only = process.argv.slice(2);
const files = readdirSync(folder)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = false;
for (const file of files) {
  console.log(`\n### ${file.replace('.bench.ts', '')}`);
  const started = performance.now();
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--file', file], {
    stdio: 'inherit',
  });
  if (child.status !== 0) {
    failed = true;
    console.log(`(${file} failed: exit ${child.status ?? child.signal})`);
    continue;
  }
  console.log(`(${file} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(failed ? 1 : 0);
