// Bulk files at rest: AES-256-GCM in 64 KiB chunks under a per-job data key (itself sealed by the master key).
// Chunk k sits at k·(64 KiB + 28) and is iv(12) | ciphertext | tag(16), with the file kind and k as associated
// data, so chunks cannot be swapped or moved. Fixed-size chunks give Range reads without decrypting from the
// start; a partial last chunk is rewritten by the next append, so a file can be extended after a crash from
// its committed length.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';

export const CHUNK = 64 * 1024;
const IV = 12;
const TAG = 16;
const OVERHEAD = IV + TAG;
const SLOT = CHUNK + OVERHEAD;

function aad(kind: string, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(index));
  return Buffer.concat([Buffer.from(kind, 'utf8'), b]);
}

function sealChunk(key: Buffer, kind: string, index: number, plain: Buffer): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(kind, index));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function openChunk(key: Buffer, kind: string, index: number, sealed: Buffer): Buffer {
  if (sealed.length < OVERHEAD) throw new Error(`bulk file chunk ${index} is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  decipher.setAAD(aad(kind, index));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([decipher.update(sealed.subarray(IV, sealed.length - TAG)), decipher.final()]);
}

/** Plaintext length of a file written to the end (every chunk full but the last). */
export function plainLength(fileSize: number): number {
  const chunks = Math.ceil(fileSize / SLOT);
  return Math.max(0, fileSize - chunks * OVERHEAD);
}

export async function sealedFileSize(path: string): Promise<number | undefined> {
  try {
    return plainLength((await stat(path)).size);
  } catch {
    return undefined;
  }
}

/**
 * Chunk k as it is on disk. Data is only ever appended, so a chunk rewritten after the last commit (a crash
 * between writing a page and committing it) still starts with the committed bytes: callers take a prefix.
 */
async function readChunk(handle: FileHandle, key: Buffer, kind: string, k: number): Promise<Buffer> {
  const size = (await handle.stat()).size;
  const length = Math.min(SLOT, size - k * SLOT);
  if (length <= OVERHEAD) throw new Error(`bulk file chunk ${k} is missing`);
  const sealed = Buffer.alloc(length);
  const { bytesRead } = await handle.read(sealed, 0, length, k * SLOT);
  if (bytesRead !== length) throw new Error(`bulk file chunk ${k} is truncated`);
  return openChunk(key, kind, k, sealed);
}

/** Appends plaintext; `commit()` makes everything appended so far durable and returns the plaintext length. */
export class SealedFileWriter {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly key: Buffer,
    private readonly kind: string,
    private fullChunks: number,
  ) {}

  /**
   * Opens for appending at `committed` plaintext bytes: anything after that point (a page written but not
   * committed before a crash) is cut off, and the committed part of the last chunk is read back to be rewritten.
   */
  static async open(path: string, key: Buffer, kind: string, committed: number): Promise<SealedFileWriter> {
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    const fullChunks = Math.floor(committed / CHUNK);
    const tail = committed - fullChunks * CHUNK;
    const writer = new SealedFileWriter(handle, key, kind, fullChunks);
    if (tail > 0) {
      try {
        const plain = (await readChunk(handle, key, kind, fullChunks)).subarray(0, tail);
        if (plain.length !== tail) throw new Error('bulk file is shorter than its committed length');
        writer.pending = [Buffer.from(plain)];
        writer.pendingLength = tail;
      } catch (e) {
        await handle.close();
        throw e;
      }
    }
    await handle.truncate(fullChunks * SLOT);
    return writer;
  }

  get length(): number {
    return this.fullChunks * CHUNK + this.pendingLength;
  }

  async append(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.pending.push(data);
    this.pendingLength += data.length;
    if (this.pendingLength >= CHUNK) await this.writeFullChunks();
  }

  private async writeFullChunks(): Promise<void> {
    let all = Buffer.concat(this.pending, this.pendingLength);
    const out: Buffer[] = [];
    const first = this.fullChunks;
    while (all.length >= CHUNK) {
      out.push(sealChunk(this.key, this.kind, this.fullChunks, all.subarray(0, CHUNK)));
      all = all.subarray(CHUNK);
      this.fullChunks++;
    }
    if (out.length > 0) await this.handle.write(Buffer.concat(out), 0, out.length * SLOT, first * SLOT);
    this.pending = all.length > 0 ? [Buffer.from(all)] : [];
    this.pendingLength = all.length;
  }

  /** Writes the partial last chunk (rewritten by later appends), cuts anything after it, and syncs. */
  async commit(): Promise<number> {
    if (this.pendingLength >= CHUNK) await this.writeFullChunks();
    let end = this.fullChunks * SLOT;
    if (this.pendingLength > 0) {
      const plain = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [plain];
      const sealed = sealChunk(this.key, this.kind, this.fullChunks, plain);
      await this.handle.write(sealed, 0, sealed.length, end);
      end += sealed.length;
    }
    await this.handle.truncate(end);
    await this.handle.datasync();
    return this.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Plaintext bytes [start, end) of a sealed file of `total` plaintext bytes, chunk by chunk (constant memory).
 * A chunk that fails authentication ends the stream with an error: a tampered file is never served.
 */
export async function* readSealedRange(
  path: string,
  key: Buffer,
  kind: string,
  total: number,
  start = 0,
  end = total,
): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const handle = await open(path, 'r');
  try {
    const lastIndex = Math.ceil(total / CHUNK) - 1;
    const sealed = Buffer.alloc(SLOT);
    for (let k = Math.floor(start / CHUNK); k * CHUNK < end; k++) {
      const plainLen = k === lastIndex ? total - k * CHUNK : CHUNK;
      const plain =
        k === lastIndex
          ? await readChunk(handle, key, kind, k)
          : await (async () => {
              const { bytesRead } = await handle.read(sealed, 0, SLOT, k * SLOT);
              if (bytesRead !== SLOT) throw new Error('bulk file is shorter than recorded');
              return openChunk(key, kind, k, sealed);
            })();
      if (plain.length < plainLen) throw new Error('bulk file is shorter than recorded');
      const from = Math.max(0, start - k * CHUNK);
      const to = Math.min(plainLen, end - k * CHUNK);
      yield plain.subarray(from, to);
    }
  } finally {
    await handle.close();
  }
}

/** Writes a whole sealed file under a temporary name and renames it into place (never half a file). */
export async function writeSealedFile(
  path: string,
  key: Buffer,
  kind: string,
  source: AsyncIterable<Buffer | string>,
): Promise<number> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const writer = await SealedFileWriter.open(temp, key, kind, 0);
  try {
    for await (const part of source) await writer.append(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
    const length = await writer.commit();
    await writer.close();
    await rename(temp, path);
    return length;
  } catch (e) {
    await writer.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
