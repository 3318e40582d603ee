// Upload reader: CSV (header row + rows), a JSON array of objects, or JSON Lines, split into records as the
// bytes arrive (constant memory). The same reader validates the upload at submission and feeds the job.
import { CsvParser, unflattenRow } from './csv.ts';

export type UploadFormat = 'csv' | 'json' | 'jsonl';

type Json = Record<string, unknown>;

/** A problem with the file itself (not one record): the upload is refused with a 400 naming it. */
export class UploadFormatError extends Error {}

/** The format from `metaData.format`, the part's content type, then the file name; undefined when unknown. */
export function detectFormat(contentType: string | undefined, fileName: string | undefined, declared?: string) {
  const d = declared?.trim().toLowerCase();
  if (d === 'csv') return 'csv';
  if (d === 'json') return 'json';
  if (d === 'jsonl' || d === 'ndjson' || d === 'json lines') return 'jsonl';
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines')
    return 'jsonl';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  const ext = (fileName ?? '').toLowerCase().split('.').pop();
  if (ext === 'csv') return 'csv';
  if (ext === 'json') return 'json';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  return undefined;
}

function asRecord(value: unknown, where: string): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new UploadFormatError(`${where} is not a JSON object`);
  return value as Json;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UploadFormatError(`${where} is not valid JSON (${(e as Error).message})`);
  }
}

interface Splitter {
  push(text: string): void;
  end(): void;
}

const WS = /\s/;

/** Top-level elements of a JSON array (a single top-level object is one record). */
class JsonSplitter implements Splitter {
  private started = false;
  private single = false;
  private done = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private current = '';
  private count = 0;

  constructor(private readonly emit: (r: Json) => void) {}

  private flush(): void {
    const text = this.current.trim();
    this.current = '';
    if (text === '') throw new UploadFormatError(`the JSON array has an empty element after record ${this.count}`);
    this.emit(asRecord(parseJson(text, `record ${this.count}`), `record ${this.count}`));
    this.count++;
  }

  push(text: string): void {
    for (const ch of text) {
      if (!this.started) {
        if (WS.test(ch) || ch === '\uFEFF') continue;
        if (ch === '{') {
          this.started = true;
          this.single = true;
          this.depth = 1;
          this.current = ch;
          continue;
        }
        if (ch !== '[') throw new UploadFormatError('the file is not JSON: it must be an array of objects');
        this.started = true;
        this.depth = 1;
        continue;
      }
      if (this.done) {
        if (WS.test(ch)) continue;
        throw new UploadFormatError('the file has text after the JSON value');
      }
      if (this.inString) {
        this.current += ch;
        if (this.escape) this.escape = false;
        else if (ch === '\\') this.escape = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (this.depth === 1 && !this.single) {
        if (ch === ',') {
          this.flush();
          continue;
        }
        if (ch === ']') {
          if (this.current.trim() !== '' || this.count > 0) this.flush();
          this.done = true;
          this.depth = 0;
          continue;
        }
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if (ch === '}' || ch === ']') {
        this.depth--;
        if (this.single && this.depth === 0) {
          this.current += ch;
          this.flush();
          this.done = true;
          continue;
        }
      }
      this.current += ch;
    }
  }

  end(): void {
    if (!this.started) throw new UploadFormatError('the file is empty');
    if (!this.done) throw new UploadFormatError('the JSON ends before its array is closed');
  }
}

class JsonLinesSplitter implements Splitter {
  private rest = '';
  private line = 0;

  constructor(private readonly emit: (r: Json) => void) {}

  private take(text: string): void {
    this.line++;
    const t = text.trim();
    if (t === '') return;
    this.emit(asRecord(parseJson(t, `line ${this.line}`), `line ${this.line}`));
  }

  push(text: string): void {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.take(l);
  }

  end(): void {
    if (this.rest !== '') this.take(this.rest);
    this.rest = '';
  }
}

class CsvSplitter implements Splitter {
  private header: string[] | undefined;
  private readonly parser: CsvParser;

  constructor(emit: (r: Json) => void) {
    this.parser = new CsvParser((cells, line) => {
      if (!this.header) {
        this.header = cells.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, '') : c).trim());
        if (this.header.some((h) => h === '')) throw new UploadFormatError('the CSV header has an empty column name');
        return;
      }
      if (cells.length !== this.header.length) {
        throw new UploadFormatError(
          `CSV row on line ${line} has ${cells.length} columns; the header has ${this.header.length}`,
        );
      }
      emit(unflattenRow(this.header, cells));
    });
  }

  push(text: string): void {
    this.parser.push(text);
  }

  end(): void {
    if (!this.parser.end()) throw new UploadFormatError('the CSV ends inside a quoted field');
    if (!this.header) throw new UploadFormatError('the file is empty: a CSV upload needs a header row');
  }
}

export function recordSplitter(format: UploadFormat, emit: (r: Json) => void): Splitter {
  if (format === 'csv') return new CsvSplitter(emit);
  if (format === 'jsonl') return new JsonLinesSplitter(emit);
  return new JsonSplitter(emit);
}

/** Records of a byte stream, with their 0-based index in the file. */
export async function* readRecords(
  source: AsyncIterable<Buffer>,
  format: UploadFormat,
): AsyncGenerator<{ index: number; record: Json }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let queue: Json[] = [];
  const splitter = recordSplitter(format, (r) => queue.push(r));
  let index = 0;
  for await (const chunk of source) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new UploadFormatError('the file is not UTF-8 text');
    }
    splitter.push(text);
    const ready = queue;
    queue = [];
    for (const record of ready) yield { index: index++, record };
  }
  splitter.push(decoder.decode());
  splitter.end();
  for (const record of queue) yield { index: index++, record };
}
