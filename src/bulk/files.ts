// Where a job's files live (CONDUIT_DATA_DIR/bulk) and its data key (random, sealed by the master key).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretBox } from '../security/index.ts';
import { removeFile } from './sealedFile.ts';

export function bulkDir(dataDir: string): string {
  const dir = join(dataDir, 'bulk');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const jobFiles = (dir: string, id: number) => ({
  /** The export result, JSON Lines. */
  result: join(dir, `${id}.jsonl.enc`),
  /** The CSV rendering of the result, made on the first CSV download of an ended job. */
  csv: join(dir, `${id}.csv.enc`),
  /** The uploaded file of an import. */
  upload: join(dir, `${id}.upload.enc`),
  /** One id range of a partitioned export, appended to `result` in order when all are done. */
  part: (i: number) => join(dir, `${id}.part${i}.jsonl.enc`),
});

/** Most id ranges an export may be split into (CONDUIT_BULK_PARTITIONS' maximum). */
export const MAX_PARTS = 16;

export function newDataKey(box: SecretBox): { key: Buffer; sealed: string } {
  const key = randomBytes(32);
  return { key, sealed: box.encrypt(key.toString('base64')) };
}

export function openDataKey(box: SecretBox, sealed: string): Buffer {
  return Buffer.from(box.decrypt(sealed), 'base64');
}

export async function removeJobFiles(dir: string, id: number): Promise<void> {
  const f = jobFiles(dir, id);
  const parts = Array.from({ length: MAX_PARTS }, (_, i) => removeFile(f.part(i)));
  await Promise.all([removeFile(f.result), removeFile(f.csv), removeFile(f.upload), ...parts]);
}
