/**
 * `transformDate` patterns: a subset of Java's SimpleDateFormat (what Cloud Elements users wrote), always in UTC,
 * plus `epoch` (seconds) and `epochMillis`. Letters: yyyy yy MM dd HH mm ss SSS; 'quoted' text and any other
 * non-letter character are literal; '' is a quote.
 */

type Token =
  | { kind: 'field'; letter: 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S'; width: number }
  | { kind: 'text'; text: string };

export type DatePattern =
  | { kind: 'epoch'; millis: boolean }
  | { kind: 'pattern'; source: string; tokens: Token[]; regex: RegExp };

const WIDTHS: Record<string, readonly number[]> = {
  y: [4, 2],
  M: [2],
  d: [2],
  H: [2],
  m: [2],
  s: [2],
  S: [3],
};

export function compileDatePattern(source: string): { ok: true; value: DatePattern } | { ok: false; message: string } {
  if (source === 'epoch') return { ok: true, value: { kind: 'epoch', millis: false } };
  if (source === 'epochMillis') return { ok: true, value: { kind: 'epoch', millis: true } };
  if (source.length === 0) return { ok: false, message: 'pattern must not be empty' };
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === "'") {
      if (source[i + 1] === "'") {
        tokens.push({ kind: 'text', text: "'" });
        i += 2;
        continue;
      }
      const end = source.indexOf("'", i + 1);
      if (end < 0) return { ok: false, message: `quote at position ${i} is not closed` };
      tokens.push({ kind: 'text', text: source.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (source[j] === c) j++;
      const width = j - i;
      const allowed = WIDTHS[c];
      if (!allowed)
        return {
          ok: false,
          message: `letter '${c}' at position ${i} is not supported (use yyyy MM dd HH mm ss SSS, quote literal text)`,
        };
      if (!allowed.includes(width))
        return {
          ok: false,
          message: `'${c.repeat(width)}' at position ${i} is not supported (use ${allowed.map((w) => c.repeat(w)).join(' or ')})`,
        };
      tokens.push({ kind: 'field', letter: c as 'y', width });
      i = j;
    } else {
      tokens.push({ kind: 'text', text: c });
      i++;
    }
  }
  const regex = new RegExp(
    `^${tokens.map((t) => (t.kind === 'text' ? t.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `(\\d{${t.width}})`)).join('')}$`,
  );
  return { ok: true, value: { kind: 'pattern', source, tokens, regex } };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function formatDate(date: Date, pattern: DatePattern): string | number {
  if (pattern.kind === 'epoch') return pattern.millis ? date.getTime() : Math.floor(date.getTime() / 1000);
  let out = '';
  for (const t of pattern.tokens) {
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    switch (t.letter) {
      case 'y':
        out += t.width === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear(), 4);
        break;
      case 'M':
        out += pad(date.getUTCMonth() + 1, 2);
        break;
      case 'd':
        out += pad(date.getUTCDate(), 2);
        break;
      case 'H':
        out += pad(date.getUTCHours(), 2);
        break;
      case 'm':
        out += pad(date.getUTCMinutes(), 2);
        break;
      case 's':
        out += pad(date.getUTCSeconds(), 2);
        break;
      case 'S':
        out += pad(date.getUTCMilliseconds(), 3);
        break;
    }
  }
  return out;
}

/** Reads a value written in `pattern`; `undefined` when it does not fit. */
export function parseDate(value: unknown, pattern: DatePattern): Date | undefined {
  if (pattern.kind === 'epoch') {
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^-?\d+$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isFinite(n)) return undefined;
    const d = new Date(pattern.millis ? n : n * 1000);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (typeof value !== 'string') return undefined;
  const m = pattern.regex.exec(value);
  if (!m) return undefined;
  const parts = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
  let g = 1;
  for (const t of pattern.tokens) {
    if (t.kind !== 'field') continue;
    let n = Number(m[g++]);
    if (t.letter === 'y' && t.width === 2) n += n < 70 ? 2000 : 1900;
    parts[t.letter] = n;
  }
  const time = Date.UTC(parts.y, parts.M - 1, parts.d, parts.H, parts.m, parts.s, parts.S);
  const d = new Date(time);
  // Reject overflow such as month 13 or 31 February instead of rolling over silently.
  if (d.getUTCMonth() !== parts.M - 1 || d.getUTCDate() !== parts.d || parts.H > 23 || parts.m > 59 || parts.s > 59)
    return undefined;
  return d;
}

/** A vendor-side (ConnectWise) date: ISO-8601 text, or epoch milliseconds. */
export function readVendorDate(value: unknown): Date | undefined {
  if (typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** ConnectWise writes dates as `yyyy-MM-ddTHH:mm:ssZ` (no milliseconds). */
export function writeVendorDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
