import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK, readSealedRange, SealedFileWriter, sealedFileSize } from './sealedFile.ts';

const dir = mkdtempSync(join(tmpdir(), 'conduit-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string, key: Buffer, total: number, start?: number, end?: number) {
  const parts: Buffer[] = [];
  for await (const p of readSealedRange(path, key, 'k', total, start, end)) parts.push(p);
  return Buffer.concat(parts);
}

describe('sealed bulk files', () => {
  const key = randomBytes(32);
  const data = randomBytes(CHUNK * 3 + 1234);

  it('round-trips and serves any range; the bytes on disk are not the plaintext', async () => {
    const path = join(dir, 'a');
    const w = await SealedFileWriter.open(path, key, 'k', 0);
    for (let i = 0; i < data.length; i += 10_000) await w.append(data.subarray(i, i + 10_000));
    expect(await w.commit()).toBe(data.length);
    await w.close();
    expect(await sealedFileSize(path)).toBe(data.length);
    expect((await readAll(path, key, data.length)).equals(data)).toBe(true);
    expect(
      (await readAll(path, key, data.length, CHUNK - 5, CHUNK * 2 + 7)).equals(data.subarray(CHUNK - 5, CHUNK * 2 + 7)),
    ).toBe(true);
    expect(readFileSync(path).includes(data.subarray(0, 64))).toBe(false);
  });

  it('reopens at the committed length after data appended but never committed (a crash mid-page)', async () => {
    const path = join(dir, 'b');
    const committed = CHUNK + 100;
    let w = await SealedFileWriter.open(path, key, 'k', 0);
    await w.append(data.subarray(0, committed));
    await w.commit();
    // More than a chunk appended: the committed partial chunk is rewritten on disk, then the process dies.
    await w.append(data.subarray(committed, committed + CHUNK * 2));
    await w.close();
    w = await SealedFileWriter.open(path, key, 'k', committed);
    await w.append(data.subarray(committed));
    expect(await w.commit()).toBe(data.length);
    await w.close();
    expect((await readAll(path, key, data.length)).equals(data)).toBe(true);
  });

  it('refuses a tampered chunk instead of serving it', async () => {
    const path = join(dir, 'c');
    const w = await SealedFileWriter.open(path, key, 'k', 0);
    await w.append(data);
    await w.commit();
    await w.close();
    const bytes = readFileSync(path);
    bytes[CHUNK + 100] = (bytes[CHUNK + 100] ?? 0) ^ 1;
    writeFileSync(path, bytes);
    await expect(readAll(path, key, data.length)).rejects.toThrow();
    await expect(readAll(path, randomBytes(32), data.length)).rejects.toThrow();
  });
});
