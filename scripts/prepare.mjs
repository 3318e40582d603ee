// npm's `prepare` (after `npm ci`/`npm install` in a checkout, and before `npm pack`): builds when the dev
// dependencies are installed. With `npm ci --omit=dev` on an already built tree it leaves dist/ as it is, so a
// production install never needs TypeScript or vite.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const has = (path) => existsSync(new URL(path, new URL('../', import.meta.url)));

if (has('node_modules/typescript/bin/tsc') && has('node_modules/vite/bin/vite.js')) {
  const res = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  process.exit(res.status ?? 1);
} else if (has('dist/cli/index.js')) {
  process.stdout.write('prepare: no dev dependencies; using the existing build in dist/\n');
} else {
  process.stderr.write(
    'prepare: not built and no dev dependencies to build with: run `npm ci` (with dev dependencies), then `npm run build`\n',
  );
}
