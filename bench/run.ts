// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and prints their figures.
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const folder = new URL('./', import.meta.url);
const files = readdirSync(folder)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const file of files) {
  console.log(`\n### ${file.replace('.bench.ts', '')}`);
  const mod = (await import(new URL(file, folder).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') throw new Error(`${file} does not export run()`);
  const started = performance.now();
  await mod.run();
  console.log(`(${file} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
process.exit(0);
