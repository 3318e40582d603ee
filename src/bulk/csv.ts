// CSV for bulk: records flattened to dotted column names (nested objects become `a.b.c`; arrays stay one cell
// holding their JSON), RFC 4180 quoting, and the reverse for uploads.

type Json = Record<string, unknown>;

/** Dotted leaf paths of a record with their values, in the record's own key order. */
export function flattenRecord(record: Json, prefix = '', out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [k, v] of Object.entries(record)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      flattenRecord(v as Json, name, out);
    } else out.push([name, v]);
  }
  return out;
}

/** Adds the record's columns not seen yet, in first-seen order (a stable header across pages and restarts). */
export function addColumns(columns: string[], known: Set<string>, record: Json): boolean {
  let added = false;
  for (const [name] of flattenRecord(record)) {
    if (!known.has(name)) {
      known.add(name);
      columns.push(name);
      added = true;
    }
  }
  return added;
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value as number | boolean);
  return NEEDS_QUOTES.test(text) || text.startsWith(' ') || text.endsWith(' ')
    ? `"${text.replaceAll('"', '""')}"`
    : text;
}

export function csvRow(cells: string[]): string {
  return `${cells.join(',')}\r\n`;
}

export function csvHeader(columns: string[]): string {
  return csvRow(columns.map(csvCell));
}

export function csvRecord(columns: string[], record: Json): string {
  const values = new Map(flattenRecord(record));
  return csvRow(columns.map((c) => csvCell(values.get(c))));
}

/**
 * Streaming RFC 4180 parser: push text, take complete rows. Quoted fields may hold commas, quotes ("") and line
 * breaks; rows end at CRLF or LF.
 */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private fieldStarted = false;
  /** Line of the row being read (1-based), for messages. */
  line = 1;
  private rowLine = 1;

  constructor(private readonly onRow: (cells: string[], line: number) => void) {}

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (this.quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            // Closing quote, or the first of a `""` pair split across pieces (decided by the next character).
            this.quoted = false;
            this.afterQuote = true;
          }
        } else {
          if (ch === '\n') this.line++;
          this.field += ch;
        }
        continue;
      }
      if (this.afterQuote && ch === '"') {
        // `""` split across two pieces.
        this.field += '"';
        this.quoted = true;
        this.afterQuote = false;
        continue;
      }
      this.afterQuote = false;
      if (ch === ',') {
        this.endField();
      } else if (ch === '\n') {
        this.endRow();
        this.line++;
        this.rowLine = this.line;
      } else if (ch === '\r') {
        // CR of CRLF; a lone CR inside an unquoted field is kept out.
      } else if (ch === '"' && !this.fieldStarted) {
        this.quoted = true;
        this.fieldStarted = true;
      } else {
        this.field += ch;
        this.fieldStarted = true;
      }
    }
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.fieldStarted = false;
  }

  private endRow(): void {
    this.endField();
    const row = this.row;
    this.row = [];
    if (row.length === 1 && row[0] === '') return; // blank line
    this.onRow(row, this.rowLine);
  }

  /** Ends the input; answers false when a quoted field was never closed. */
  end(): boolean {
    if (this.quoted) return false;
    if (this.fieldStarted || this.field !== '' || this.row.length > 0) this.endRow();
    return true;
  }
}

const NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/;

/** A CSV cell as a JSON value: numbers, true/false and JSON arrays/objects are typed; an empty cell is absent. */
export function cellValue(text: string): unknown {
  if (text === '') return undefined;
  if (NUMBER.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if ((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('{') && text.endsWith('}'))) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Header + cells → a nested record (`company.id` → `{company: {id}}`). */
export function unflattenRow(header: string[], cells: string[]): Json {
  const out: Json = {};
  header.forEach((name, i) => {
    const value = cellValue(cells[i] ?? '');
    if (value === undefined || name === '') return;
    const parts = name.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[p] = {};
      node = node[p] as Json;
    }
    node[parts[parts.length - 1] as string] = value;
  });
  return out;
}
