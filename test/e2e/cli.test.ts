// The `conduit` command as an operator meets it, spawned for real: --version, the help texts (every setting listed
// from the configuration schema), configuration errors as one plain line each with exit code 1, and ./.env read at
// start with the environment winning over it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig } from '../../src/config/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'conduit-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs bin/conduit.js in `cwd` with only the variables given (plus PATH), never the test runner's settings. */
function conduit(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const res = spawnSync(process.execPath, [join(root, 'bin/conduit.js'), ...args], {
    cwd: opts.cwd ?? scratch,
    env: { PATH: process.env.PATH ?? '', CONDUIT_DATA_DIR: join(scratch, 'data'), ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('conduit CLI', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const res = conduit(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(version);
  }, 120_000);

  it('--help lists every command, with the same summary the command itself gives', () => {
    const top = oneLine(conduit(['--help']).stdout);
    for (const command of ['serve', 'migrate', 'org', 'user', 'sandbox', 'keys', 'bulk']) {
      expect(top).toMatch(new RegExp(`\\b${command}\\b`));
    }
    for (const command of ['sandbox', 'keys']) {
      // Commander prints the description on the third line of a command's own help.
      const own = conduit([command, '--help']).stdout.split('\n\n')[1] ?? '';
      expect(own.length).toBeGreaterThan(10);
      expect(top).toContain(oneLine(own));
    }
  }, 120_000);

  it('serve --help lists every setting with its type or allowed values and its default', () => {
    const help = conduit(['serve', '--help']).stdout;
    for (const s of describeConfig()) {
      const line = help.split('\n').find((l) => l.startsWith(`  ${s.name}  (`));
      expect(line, `${s.name} is missing from serve --help`).toBeDefined();
      expect(line).toContain(s.expected);
      if (s.default === undefined) expect(line).toContain('not set by default');
      else expect(line).toContain(`default ${s.default === '' ? 'empty' : String(s.default)}`);
    }
    expect(help).toContain('LOG_LEVEL  (one of trace, debug, info, warn, error, fatal, silent; default info)');
  }, 120_000);

  it('a bad setting ends start-up with one plain line and exit code 1', () => {
    const res = conduit(['serve'], { env: { LOG_LEVEL: 'verbose' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'conduit: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got verbose\n',
    );
  }, 120_000);

  it('reads ./.env at start; a variable of the environment wins over the file', () => {
    const dir = mkdtempSync(join(scratch, 'env-'));
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=verbose\nPORT=eighty\n');
    // PORT from the environment is valid and wins; LOG_LEVEL comes from the file only.
    const res = conduit(['migrate'], { cwd: dir, env: { PORT: '8085' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'conduit: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got verbose\n',
    );
    const fixed = conduit(['migrate'], { cwd: dir, env: { PORT: '8085', LOG_LEVEL: 'warn' } });
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('Store is up to date (sqlite)');
  }, 120_000);

  it('CONDUIT_ENV_FILE names another settings file, and a missing one is an error', () => {
    const dir = mkdtempSync(join(scratch, 'named-'));
    writeFileSync(join(dir, 'conduit.env'), 'CONDUIT_BOOTSTRAP=maybe\n');
    const named = conduit(['migrate'], { cwd: dir, env: { CONDUIT_ENV_FILE: 'conduit.env' } });
    expect(named.code).toBe(1);
    expect(named.stderr).toBe('conduit: CONDUIT_BOOTSTRAP must be true or false; got maybe\n');
    const missing = conduit(['migrate'], { cwd: dir, env: { CONDUIT_ENV_FILE: 'gone.env' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`conduit: CONDUIT_ENV_FILE names ${join(dir, 'gone.env')}, which does not exist\n`);
  }, 120_000);
});
