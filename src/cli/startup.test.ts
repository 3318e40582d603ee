import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { databaseProblem, dataDirProblem, listenProblem, maskedUrl } from './startup.ts';

const scratch = mkdtempSync(join(tmpdir(), 'conduit-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('start-up checks', () => {
  it('masks the password of a database URL and keeps the rest', () => {
    expect(maskedUrl('postgres://conduit:s3cret@db.example:5432/conduit')).toBe(
      'postgres://conduit:***@db.example:5432/conduit',
    );
    expect(maskedUrl('postgres://db.example/conduit')).toBe('postgres://db.example/conduit');
  });

  it('creates a missing data dir, and names one that is a file or lies under a file', () => {
    const missing = join(scratch, 'a', 'b');
    expect(dataDirProblem(missing)).toBeUndefined();
    expect(statSync(missing).isDirectory()).toBe(true);
    const file = join(scratch, 'file');
    writeFileSync(file, 'x');
    expect(dataDirProblem(file)).toBe(`conduit: CONDUIT_DATA_DIR ${file} is a file, not a directory`);
    expect(dataDirProblem(join(file, 'below'))).toMatch(/^conduit: CONDUIT_DATA_DIR .* cannot be created: .*a file/);
  });

  it('names PORT/HOST when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const second = createServer();
    const error = await new Promise<unknown>((r) => second.once('error', r).listen(port, '127.0.0.1'));
    taken.close();
    expect(listenProblem(error, '127.0.0.1', port)).toBe(`conduit: port ${port} on 127.0.0.1 is in use (PORT/HOST)`);
    expect(listenProblem(new Error('something else'), '127.0.0.1', port)).toBeUndefined();
  });

  it('names DATABASE_URL, password masked, when PostgreSQL refuses the connection', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://conduit:s3cret@127.0.0.1:1/conduit' });
    expect(await databaseProblem(config)).toBe(
      'conduit: cannot connect to PostgreSQL at postgres://conduit:***@127.0.0.1:1/conduit (DATABASE_URL): connection refused',
    );
    expect(await databaseProblem(loadConfig({}))).toBeUndefined();
  });
});
