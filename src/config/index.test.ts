import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnvFile } from './envFile.ts';
import { ConfigError, describeConfig, loadConfig } from './index.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message.split('\n');
  }
  throw new Error('loadConfig accepted bad settings');
}

describe('configuration', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.CONDUIT_DATA_DIR).toBe('./.conduit');
    expect(c.CONDUIT_POLL_MIN_INTERVAL_S).toBe(30);
  });

  it('lists every bad setting in one error, one line each', () => {
    const lines = problemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toContain('PORT');
    expect(lines.join('\n')).toContain('DATABASE_URL');
    expect(lines.join('\n')).toContain('LOG_LEVEL');
  });

  it('says in plain words what each bad setting must be and what it was', () => {
    expect(problemsOf({ LOG_LEVEL: 'verbose' })).toEqual([
      'conduit: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got verbose',
    ]);
    expect(problemsOf({ PORT: 'eighty' })).toEqual([
      'conduit: PORT must be a whole number from 0 to 65535; got eighty',
    ]);
    expect(problemsOf({ PORT: '70000' })).toEqual(['conduit: PORT must be a whole number from 0 to 65535; got 70000']);
    expect(problemsOf({ CONDUIT_BODY_LIMIT_MB: '0' })).toEqual([
      'conduit: CONDUIT_BODY_LIMIT_MB must be a number greater than 0 and at most 1024; got 0',
    ]);
    expect(problemsOf({ CONDUIT_POLL_MIN_INTERVAL_S: 'half a minute' })).toEqual([
      'conduit: CONDUIT_POLL_MIN_INTERVAL_S must be a number of at least 0.1; got "half a minute"',
    ]);
    expect(problemsOf({ CONDUIT_BOOTSTRAP: 'maybe' })).toEqual([
      'conduit: CONDUIT_BOOTSTRAP must be true or false; got maybe',
    ]);
    expect(problemsOf({ DATABASE_URL: 'mysql://app:pw@db/x' })).toEqual([
      'conduit: DATABASE_URL must be a postgres:// or postgresql:// URL; got mysql://***@db/x',
    ]);
    expect(problemsOf({ CONDUIT_PUBLIC_URL: 'conduit.example.com' })).toEqual([
      'conduit: CONDUIT_PUBLIC_URL must be an http:// or https:// URL; got conduit.example.com',
    ]);
  });

  it('never shows the value of a secret setting', () => {
    const [line] = problemsOf({ CONDUIT_MASTER_KEY: 'short-secret-key' });
    expect(line).toBe(
      'conduit: CONDUIT_MASTER_KEY must be a 32-byte key, as 64 hex characters or base64; the value is not shown (a secret)',
    );
    expect(line).not.toContain('short-secret-key');
  });

  it('describes every setting with its type or allowed values, for serve --help', () => {
    const settings = describeConfig();
    for (const s of settings) {
      expect(s.description, s.name).not.toBe('');
      expect(s.expected, s.name).not.toBe('');
    }
    const level = settings.find((s) => s.name === 'LOG_LEVEL');
    expect(level?.allowed).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
    expect(settings.find((s) => s.name === 'PORT')).toMatchObject({ type: 'integer', default: 8080 });
  });
});

describe('.env', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the settings of ./.env that the environment lacks; the environment wins', () => {
    writeFileSync(join(dir, '.env'), '# comment\nPORT=9001\nLOG_LEVEL=debug\nHOST="0.0.0.0"\n');
    const env: Record<string, string | undefined> = { PORT: '9002' };
    expect(loadEnvFile(env, dir)).toBe(join(dir, '.env'));
    expect(env).toEqual({ PORT: '9002', LOG_LEVEL: 'debug', HOST: '0.0.0.0' });
  });

  it('reads nothing without a .env, and names a missing CONDUIT_ENV_FILE', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const env: Record<string, string | undefined> = {};
    expect(loadEnvFile(env, empty)).toBeUndefined();
    expect(env).toEqual({});
    expect(() => loadEnvFile({ CONDUIT_ENV_FILE: 'nope.env' }, empty)).toThrow(
      `conduit: CONDUIT_ENV_FILE names ${join(empty, 'nope.env')}, which does not exist`,
    );
    writeFileSync(join(empty, 'other.env'), 'PORT=9100\n');
    const named: Record<string, string | undefined> = { CONDUIT_ENV_FILE: 'other.env' };
    loadEnvFile(named, empty);
    expect(named.PORT).toBe('9100');
  });
});
