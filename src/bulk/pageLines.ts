// A vendor list page turned into JSON Lines without parsing it: the page's own bytes, cut at the top-level commas
// of its array, one record per line. Re-serialising every record (JSON.parse + JSON.stringify) was most of an
// export's CPU time; this is one pass over the bytes with the completeness scan's string/escape logic. While it
// passes it also reads each record's id (the export's order check and watermark) and a "shape" of each record —
// its keys and nesting outside arrays — so the CSV columns need a parse only of a record whose shape is new.
//
// Anything unusual (a record that is not an object, an id that is not a plain integer, a line break between
// tokens, very deep nesting) answers `undefined`: the caller then parses the page the ordinary way, which also
// gives the ordinary error messages.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;
const MAX_DEPTH = 64;
const MAX_SHAPES = 10_000;

/** Bytes that may make up a number, true, false or null outside strings. */
const SCALAR = new Uint8Array(256);
for (const c of '0123456789+-.eEtrufalsn') SCALAR[c.charCodeAt(0)] = 1;

export interface PageLines {
  /** The records, each its own bytes followed by `\n`. */
  lines: Buffer;
  count: number;
  /** Id of each record in page order. */
  ids: number[];
  /** Records whose shape this splitter had not seen yet (their columns must be read). */
  newShapes: Buffer[];
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === NEWLINE || b === RETURN;
}

/** Remembers the record shapes seen (keys and nesting outside arrays); bounded, forgetting all when full. */
export class ShapeMemo {
  private readonly seen = new Set<string>();
  /** True the first time a shape is seen. */
  add(shape: string): boolean {
    if (this.seen.has(shape)) return false;
    if (this.seen.size >= MAX_SHAPES) this.seen.clear();
    this.seen.add(shape);
    return true;
  }
}

/**
 * Splits a whole JSON array of objects (already verified complete by the upstream client's scan) into JSON Lines.
 * `idField` names the top-level integer id of every record. The page buffer is reused for the lines (its
 * separators rewritten) when it is compact, so the caller must not read it as JSON afterwards; on `undefined` it is
 * untouched.
 */
export function pageLines(page: Buffer, idField: string, shapes: ShapeMemo): PageLines | undefined {
  const n = page.length;
  let i = 0;
  while (i < n && isSpace(page[i] as number)) i++;
  if (i >= n || page[i] !== OPEN_BRACKET) return undefined;
  i++;
  const idKey = Buffer.from(JSON.stringify(idField), 'utf8');
  const ids: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const newShapes: Buffer[] = [];
  // Containers open inside the current record: 1 = object, 2 = array (index 0 is the record itself).
  const stack = new Uint8Array(MAX_DEPTH);
  let depth = 0; // containers open inside the page array
  let arrays = 0; // arrays open inside the current record (their insides are one CSV cell: not in the shape)
  let inString = false;
  let keyStart = -1; // start of the key string being read, when it is one
  let expectKey = false;
  let idNext = false; // the next value is the record's id
  let recordStart = -1;
  let recordId = Number.NaN;
  let shape = Buffer.allocUnsafe(1024);
  let shapeLength = 0;
  const grow = (more: number) => {
    const bigger = Buffer.allocUnsafe(Math.max(shape.length * 2, shapeLength + more));
    shape.copy(bigger, 0, 0, shapeLength);
    shape = bigger;
  };
  const addShape = (from: number, to: number) => {
    if (shapeLength + (to - from) > shape.length) grow(to - from);
    // Keys are short: a loop beats Buffer#copy's per-call cost.
    for (let j = from; j < to; j++) shape[shapeLength++] = page[j] as number;
  };
  const addByte = (b: number) => {
    if (shapeLength >= shape.length) grow(1);
    shape[shapeLength++] = b;
  };
  while (i < n) {
    if (inString) {
      let b = 0;
      while (i < n) {
        b = page[i] as number;
        if (b === QUOTE || b === BACKSLASH || b < 0x20) break;
        i++;
      }
      if (i >= n || b < 0x20) return undefined; // a raw control character: not JSON, the parse says so
      if (b === BACKSLASH) {
        i += 2;
        continue;
      }
      i++;
      inString = false;
      if (keyStart >= 0) {
        if (arrays === 0) addShape(keyStart, i);
        if (depth === 1 && i - keyStart === idKey.length && page.compare(idKey, 0, idKey.length, keyStart, i) === 0)
          idNext = true;
        keyStart = -1;
      }
      continue;
    }
    const b = page[i] as number;
    if (b === QUOTE) {
      inString = true;
      if (expectKey) keyStart = i;
      else idNext = false;
      i++;
    } else if (b === OPEN_BRACE) {
      if (depth === 0) {
        recordStart = i;
        recordId = Number.NaN;
        shapeLength = 0;
      }
      if (depth >= MAX_DEPTH) return undefined;
      stack[depth++] = 1;
      expectKey = true;
      idNext = false;
      if (arrays === 0) addByte(b);
      i++;
    } else if (b === OPEN_BRACKET) {
      if (depth === 0 || depth >= MAX_DEPTH) return undefined; // a record that is not an object
      if (arrays === 0) addByte(b);
      stack[depth++] = 2;
      arrays++;
      expectKey = false;
      idNext = false;
      i++;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      if (depth === 0) {
        if (b !== CLOSE_BRACKET) return undefined;
        break; // the end of the page
      }
      const open = stack[--depth];
      if (open !== (b === CLOSE_BRACE ? 1 : 2)) return undefined;
      if (b === CLOSE_BRACKET) arrays--;
      else if (arrays === 0) addByte(b);
      expectKey = false;
      idNext = false;
      i++;
      if (depth === 0) {
        if (!Number.isSafeInteger(recordId)) return undefined;
        ids.push(recordId);
        starts.push(recordStart);
        ends.push(i);
        if (shapes.add(shape.toString('latin1', 0, shapeLength))) newShapes.push(page.subarray(recordStart, i));
      }
    } else if (b === COMMA) {
      expectKey = depth > 0 && stack[depth - 1] === 1;
      idNext = false;
      i++;
    } else if (b === COLON) {
      expectKey = false;
      i++;
    } else if (isSpace(b)) {
      // A line break between a record's tokens would break the line in two.
      if (depth > 0 && (b === NEWLINE || b === RETURN)) return undefined;
      i++;
    } else if (depth === 0) {
      return undefined; // a scalar record
    } else if (idNext && b >= ZERO && b <= NINE) {
      let v = 0;
      const start = i;
      while (i < n && (page[i] as number) >= ZERO && (page[i] as number) <= NINE)
        v = v * 10 + (page[i++] as number) - ZERO;
      const after = page[i] as number;
      recordId = i - start <= 15 && (after === COMMA || after === CLOSE_BRACE || isSpace(after)) ? v : Number.NaN;
      idNext = false;
    } else {
      if (!SCALAR[b]) return undefined; // not a number, true, false or null: the parse says what is wrong
      if (idNext) {
        recordId = Number.NaN; // not a plain integer: the ordinary path decides
        idNext = false;
      }
      i++;
    }
  }
  if (depth !== 0 || inString || page[i] !== CLOSE_BRACKET) return undefined;
  return { lines: joinLines(page, starts, ends, i), count: ids.length, ids, newShapes };
}

/**
 * The records as lines. When only a comma stands between records and the page's `]` right after the last (the
 * vendor's compact JSON), the separators are overwritten with line breaks in place: no copy.
 */
function joinLines(page: Buffer, starts: number[], ends: number[], close: number): Buffer {
  const count = starts.length;
  if (count === 0) return Buffer.alloc(0);
  let compact = ends[count - 1] === close;
  for (let k = 1; compact && k < count; k++) compact = (starts[k] as number) === (ends[k - 1] as number) + 1;
  if (compact) {
    for (let k = 1; k < count; k++) page[(starts[k] as number) - 1] = NEWLINE;
    page[close] = NEWLINE;
    return page.subarray(starts[0], close + 1);
  }
  let length = 0;
  for (let k = 0; k < count; k++) length += (ends[k] as number) - (starts[k] as number) + 1;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let k = 0; k < count; k++) {
    at += page.copy(out, at, starts[k], ends[k]);
    out[at++] = NEWLINE;
  }
  return out;
}
