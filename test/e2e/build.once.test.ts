// The build (`npm run build`) in a scratch copy of the sources: dist/ is plain JavaScript with the data files it
// reads, and the production layout (bin/ + dist/ + dependencies, no src/) serves with one process, migrates the
// store under the sources' migration names and serves the console. In a checkout, bin/conduit.js runs dist/ while
// it matches the sources and the sources themselves (through tsx) once one changed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';

const root = new URL('../../', import.meta.url).pathname;
// This file runs once, in the first (SQLite) pass (`*.once.test.ts`); its PostgreSQL case uses the same database
// the PostgreSQL pass will use.
const pgUrl = testDatabaseUrl ?? process.env.CONDUIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const scratch = mkdtempSync(join(tmpdir(), 'conduit-build-'));
const checkout = join(scratch, 'checkout');
const installed = join(scratch, 'installed');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

function copyCheckout(to: string, parts: string[]): void {
  mkdirSync(to, { recursive: true });
  for (const p of parts) cpSync(join(root, p), join(to, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'));
}

function conduit(cwd: string, args: string[]) {
  return spawnSync(process.execPath, ['bin/conduit.js', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
}

/** Files under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return Number(readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

interface Serving {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stop(): Promise<void>;
}

async function serve(cwd: string, env: Record<string, string>): Promise<Serving> {
  const child = spawn(process.execPath, ['bin/conduit.js', 'serve'], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s: ${out} ${err}`)), 90_000);
    child.stdout.on('data', () => {
      const m = out.match(/Console: +(http:\/\/\S+)\//);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return {
    child,
    url,
    stdout: () => out,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

beforeAll(() => {
  copyCheckout(checkout, ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']);
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: checkout, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  // What a package holds: bin/ and dist/ (package.json "files"), no sources.
  copyCheckout(installed, []);
  for (const p of ['bin', 'dist', 'package.json']) cpSync(join(checkout, p), join(installed, p), { recursive: true });
}, 600_000);

describe('npm run build', () => {
  it('writes JavaScript only, the data files beside it, the console, and what it was built from', () => {
    const files = filesUnder(join(checkout, 'dist'));
    expect(files.filter((f) => /\.tsx?$/.test(f))).toEqual([]);
    expect(files).toContain('cli/index.js');
    expect(files).toContain('store/migrations/0001_platform.js');
    expect(files).toContain('elements/connectwisecrmrest/definition.json');
    expect(files).toContain('web/index.html');
    expect(files.some((f) => f.endsWith('.test.js'))).toBe(false);
    const info = JSON.parse(readFileSync(join(checkout, 'dist/build-info.json'), 'utf8'));
    expect(info).toMatchObject({ version, sources: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // No relative import keeps a .ts extension.
    const cli = readFileSync(join(checkout, 'dist/cli/index.js'), 'utf8');
    expect(cli).not.toMatch(/from '\.{1,2}\/[^']+\.ts'/);
  });

  it('the installed layout serves from dist/ in one process: /readyz, the console, the store migrated', async () => {
    const dataDir = join(scratch, 'data');
    expect(conduit(installed, ['--version']).stdout.trim()).toBe(version);
    const first = await serve(installed, { CONDUIT_DATA_DIR: dataDir });
    try {
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      const page = await fetch(`${first.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      expect(childrenOf(first.child.pid as number)).toEqual([]);
      expect(first.stdout()).toContain('Organization secret:');
    } finally {
      await first.stop();
    }
    const db = new Database(join(dataDir, 'conduit.sqlite'), { readonly: true });
    const names = db.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>;
    db.close();
    const sources = readdirSync(join(root, 'src/store/migrations'))
      .filter((f) => /^\d{4}_.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(names.map((n) => n.name)).toEqual(sources.sort());
    // A later start: no secrets, but where new ones come from.
    const again = await serve(installed, { CONDUIT_DATA_DIR: dataDir });
    await again.stop();
    expect(again.stdout()).not.toContain('Organization secret:');
    expect(again.stdout()).toContain('New ones: npx conduit org create --name <name>');
  }, 240_000);

  it('the installed layout migrates and serves on PostgreSQL', async () => {
    const schema = `t_build_${randomBytes(4).toString('hex')}`;
    const server = await serve(installed, {
      CONDUIT_DATA_DIR: join(scratch, 'pg-data'),
      DATABASE_URL: pgUrl,
      DATABASE_SCHEMA: schema,
    });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.stop();
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }, 240_000);

  it('in a checkout, runs dist/ while it matches src/ and the sources once one changed', () => {
    // Mark the built CLI: while the sources are unchanged, --help comes from dist/.
    const built = join(checkout, 'dist/cli/index.js');
    writeFileSync(built, readFileSync(built, 'utf8').replace('Conduit: a self-hosted', 'Built: a self-hosted'));
    expect(conduit(checkout, ['--help']).stdout).toContain('Built: a self-hosted');
    const source = join(checkout, 'src/cli/index.ts');
    writeFileSync(source, readFileSync(source, 'utf8').replace('Conduit: a self-hosted', 'Edited: a self-hosted'));
    const help = conduit(checkout, ['--help']);
    expect(help.stdout).toContain('Edited: a self-hosted');
    expect(existsSync(join(checkout, 'dist/build-info.json'))).toBe(true);
  }, 240_000);
});
