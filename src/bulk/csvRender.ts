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
