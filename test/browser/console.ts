// Shared set-up of the browser tests: Debian's Chromium, and a console build that is never stale.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/web when it is missing or older than any file of src/web (what `npm run build:web` does). */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = join(repoRoot, 'dist', 'web', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(repoRoot, 'src', 'web'))) return;
  const vite = join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--config', join(repoRoot, 'src', 'web', 'vite.config.ts')],
    {
      cwd: repoRoot,
    },
  );
}

/**
 * Path for a README screenshot under docs/images, or undefined when it exists already (set
 * UPDATE_DOCS_IMAGES=1 to refresh them), so a test run does not rewrite committed images.
 */
export function docsImage(name: string): string | undefined {
  const path = join(repoRoot, 'docs', 'images', name);
  return existsSync(path) && process.env.UPDATE_DOCS_IMAGES !== '1' ? undefined : path;
}

/** A webhook receiver on loopback that answers `status` and records the eventIds it accepted. */
export async function startReceiver() {
  const accepted: Array<{ eventId: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = receiver.status;
      if (status < 300) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: { eventId?: string } };
        accepted.push({ eventId: String(body.message?.eventId) });
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver refuses');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver = {
    url: `http://127.0.0.1:${port}/hooks/conduit`,
    status: 200,
    accepted,
    async waitFor(pred: (all: Array<{ eventId: string }>) => boolean, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!pred(accepted)) {
        if (Date.now() > until) throw new Error(`receiver: condition not met; accepted ${JSON.stringify(accepted)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
