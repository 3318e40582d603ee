// Answered list pages of one simulator, by request, reused while nothing in its database changes: a record embeds
// the names of the records it references, so only the database-wide version proves a page unchanged. A client
// re-reading the same page then costs a lookup, so benchmarks of what sits in front of the simulator measure that.
import type { Database } from './store/database.ts';

export interface CachedReply {
  status: number;
  raw: Buffer;
  headers?: Record<string, string>;
}

interface Entry {
  db: Database;
  version: number;
  reply: CachedReply;
}

const PAGES_MAX = 64;
const BYTES_MAX = 8 * 1024 * 1024;
/** Larger pages are not kept: they are rarely re-read, and holding them costs garbage collection in big data sets. */
const PAGE_KEEP_MAX = 512 * 1024;

export class PageCache {
  #pages = new Map<string, Entry>(); // least recently used first
  #bytes = 0;

  /** The cached answer to `key` for this database as it is now, or `answer()` (kept when small enough). */
  get(db: Database, key: string, answer: () => CachedReply): CachedReply {
    const version = db.version;
    const hit = this.#pages.get(key);
    if (hit) {
      this.#drop(key, hit);
      if (hit.db === db && hit.version === version) {
        this.#keep(key, hit);
        return hit.reply;
      }
    }
    const reply = answer();
    if (reply.raw.length <= PAGE_KEEP_MAX) {
      this.#keep(key, { db, version, reply });
      for (const [k, old] of this.#pages) {
        if (this.#pages.size <= PAGES_MAX && this.#bytes <= BYTES_MAX) break;
        this.#drop(k, old);
      }
    }
    return reply;
  }

  #keep(key: string, entry: Entry): void {
    this.#pages.set(key, entry);
    this.#bytes += entry.reply.raw.length;
  }

  #drop(key: string, entry: Entry): void {
    this.#pages.delete(key);
    this.#bytes -= entry.reply.raw.length;
  }
}
