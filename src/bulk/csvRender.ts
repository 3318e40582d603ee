// CSV rows of a whole export, fast: the same cells as `csvRecord` (csv.ts), without flattening every record into
// a list of [dotted name, value] pairs and a Map. The dotted names are looked up in a tree of the paths seen
// (built once per path, not once per record), which leads straight to the column's index.
import { csvCell, csvRow } from './csv.ts';

type Json = Record<string, unknown>;

interface PathNode {
  /** Column index of this dotted path, or -1 when the header has no such column. */
  index: number;
  name: string;
  children: Map<string, PathNode> | undefined;
}

/** Paths remembered at most (a pathological export with endless distinct keys stays bounded). */
const MAX_PATHS = 100_000;

export class CsvRenderer {
  private readonly indexOf = new Map<string, number>();
  private root: PathNode = { index: -1, name: '', children: undefined };
  private paths = 0;

  constructor(private readonly columns: readonly string[]) {
    columns.forEach((c, i) => {
      if (!this.indexOf.has(c)) this.indexOf.set(c, i);
    });
  }

  private child(node: PathNode, key: string): PathNode {
    node.children ??= new Map();
    let next = node.children.get(key);
    if (!next) {
      if (this.paths >= MAX_PATHS) {
        this.root = { index: -1, name: '', children: undefined };
        this.paths = 0;
      }
      const name = node.name ? `${node.name}.${key}` : key; // as flattenRecord names it
      next = { index: this.indexOf.get(name) ?? -1, name, children: undefined };
      node.children.set(key, next);
      this.paths++;
    }
    return next;
  }

  /** One CSV row (CRLF-terminated): the record's leaves under their dotted columns, as `csvRecord` writes them. */
  row(record: Json): string {
    const cells = new Array<string>(this.columns.length).fill('');
    this.fill(record, this.root, cells);
    return csvRow(cells);
  }

  /**
   * The row of one JSON line, read from its text where that gives the very cells `row(JSON.parse(line))` would:
   * leaves outside arrays are sliced from the text, and an array cell is its own text when that text is what
   * JSON.stringify would write (no whitespace, no escapes, plain numbers). Anything else parses the line. (A key
   * repeated within one object, which JSON.parse resolves to the last, is the one case read differently.)
   */
  line(text: string): string {
    const cells = new Array<string>(this.columns.length).fill('');
    if (!this.scanObject(text, 0, this.root, cells, { end: 0 })) return this.row(JSON.parse(text) as Json);
    return csvRow(cells);
  }

  /** Reads the object starting at `text[at]` (a `{`); `out.end` is just after it. False: not handled here. */
  private scanObject(text: string, at: number, node: PathNode, cells: string[], out: { end: number }): boolean {
    if (text.charCodeAt(at) !== 0x7b) return false;
    let i = at + 1;
    if (text.charCodeAt(i) === 0x7d) return false; // `{}` at the top: parse
    for (;;) {
      // key
      if (text.charCodeAt(i) !== 0x22) return false;
      const keyEnd = text.indexOf('"', i + 1);
      if (keyEnd < 0) return false;
      const key = text.slice(i + 1, keyEnd);
      if (key.includes('\\')) return false;
      if (text.charCodeAt(keyEnd + 1) !== 0x3a) return false;
      i = keyEnd + 2;
      const at2 = this.child(node, key);
      const c = text.charCodeAt(i);
      let cell: string | undefined;
      if (c === 0x22) {
        const end = text.indexOf('"', i + 1);
        if (end < 0) return false;
        const raw = text.slice(i + 1, end);
        if (raw.includes('\\')) {
          const close = stringEnd(text, i);
          if (close < 0) return false;
          cell = csvCell(JSON.parse(text.slice(i, close)));
          i = close;
        } else {
          cell = csvCell(raw);
          i = end + 1;
        }
      } else if (c === 0x7b) {
        if (text.charCodeAt(i + 1) === 0x7d) {
          cell = '{}';
          i += 2;
        } else {
          if (!this.scanObject(text, i, at2, cells, out)) return false;
          i = out.end;
        }
      } else if (c === 0x5b) {
        const end = canonicalArrayEnd(text, i);
        if (end < 0) return false;
        cell = csvCell(text.slice(i, end));
        i = end;
      } else {
        let end = i;
        while (end < text.length) {
          const d = text.charCodeAt(end);
          if (d === 0x2c || d === 0x7d) break;
          end++;
        }
        const token = text.slice(i, end);
        if (token === 'true' || token === 'false') cell = token;
        else if (token === 'null') cell = '';
        else if (NUMBER.test(token)) cell = String(Number(token));
        else return false;
        i = end;
      }
      if (cell !== undefined && at2.index >= 0) cells[at2.index] = cell;
      const next = text.charCodeAt(i);
      if (next === 0x2c) {
        i++;
        continue;
      }
      if (next !== 0x7d) return false;
      out.end = i + 1;
      // The top-level object must be the whole line.
      return node !== this.root || out.end === text.length;
    }
  }

  private fill(object: Json, node: PathNode, cells: string[]): void {
    for (const k in object) {
      if (!Object.hasOwn(object, k)) continue;
      const v = object[k];
      const at = this.child(node, k);
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && hasKeys(v)) this.fill(v as Json, at, cells);
      else if (at.index >= 0) {
        // A number or boolean never needs quotes: its text is the cell.
        cells[at.index] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : csvCell(v);
      }
    }
  }
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Index just after the string starting at `text[at]` (a quote), escapes skipped; -1 if it never closes. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/**
 * Index just after the array starting at `text[at]` when its text is exactly what JSON.stringify writes for it
 * (no whitespace, no escapes in strings, numbers as Number#toString writes them); -1 otherwise.
 */
function canonicalArrayEnd(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return -1;
      const b = text.indexOf('\\', i + 1);
      if (b >= 0 && b < end) return -1;
      i = end + 1;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      i++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      i++;
      if (depth === 0) return i;
    } else if (c === 0x2c || c === 0x3a) {
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length) {
        const d = text.charCodeAt(end);
        if (d === 0x2c || d === 0x5d || d === 0x7d) break;
        end++;
      }
      const token = text.slice(i, end);
      if (String(Number(token)) !== token) return -1;
      i = end;
    } else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else return -1;
  }
  return -1;
}
