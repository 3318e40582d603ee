/**
 * Parser for ConnectWise's `conditions` query language (Developer Guide, "Query Parameters").
 * Input is caller-controlled text (untrusted); every failure becomes a ConditionError that the
 * API answers with 400.
 */

export const LITERAL_FORMAT_HELP =
  'String values should be enclosed with double or single quotes; DateTime values should be enclosed in square brackets; ' +
  'numbers should consist of only digits, and optionally a decimal point and a negation sign; boolean values should be ' +
  'indicated with the keywords true or false; null values should be indicated by the keyword null.';

export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'datetime'; value: number; text: string }
  | { kind: 'null' };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'like' | 'in';

export type ConditionExpr =
  | { type: 'and'; items: ConditionExpr[] }
  | { type: 'or'; items: ConditionExpr[] }
  | { type: 'not'; item: ConditionExpr }
  | { type: 'cmp'; path: string[]; op: CompareOp; negated: boolean; value: Literal | Literal[] };

type Token =
  | { t: 'lp' | 'rp' | 'comma'; pos: number }
  | { t: 'op'; v: '=' | '!=' | '<' | '<=' | '>' | '>='; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; raw: string; pos: number }
  | { t: 'date'; v: string; pos: number }
  | { t: 'word'; v: string; pos: number };

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_/.]/;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const pos = i;
    if (c === '(') {
      out.push({ t: 'lp', pos });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', pos });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma', pos });
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      out.push({ t: 'op', v: '!=', pos });
      i += 2;
    } else if (c === '<' && text[i + 1] === '>') {
      out.push({ t: 'op', v: '!=', pos });
      i += 2;
    } else if (c === '<' || c === '>') {
      const eq = text[i + 1] === '=';
      out.push({ t: 'op', v: eq ? (`${c}=` as '<=' | '>=') : c, pos });
      i += eq ? 2 : 1;
    } else if (c === '=') {
      out.push({ t: 'op', v: '=', pos });
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i] as string;
        if (d === '\\' && (text[i + 1] === c || text[i + 1] === '\\')) {
          value += text[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          closed = true;
          break;
        } else {
          value += d;
          i++;
        }
      }
      if (!closed) throw new ConditionError(`Unterminated string starting at position ${pos}. ${LITERAL_FORMAT_HELP}`);
      out.push({ t: 'str', v: value, pos });
    } else if (c === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new ConditionError(`Unterminated DateTime value at position ${pos}. ${LITERAL_FORMAT_HELP}`);
      out.push({ t: 'date', v: text.slice(i + 1, end), pos });
      i = end + 1;
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '.') && /[0-9.]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && /[0-9.]/.test(text[j] as string)) j++;
      const raw = text.slice(i, j);
      if (j < text.length && WORD_START.test(text[j] as string)) {
        let k = j;
        while (k < text.length && WORD_CHAR.test(text[k] as string)) k++;
        throw new ConditionError(`Unrecognized value '${text.slice(i, k)}'. ${LITERAL_FORMAT_HELP}`);
      }
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw))
        throw new ConditionError(`Invalid number '${raw}'. ${LITERAL_FORMAT_HELP}`);
      out.push({ t: 'num', v: Number(raw), raw, pos });
      i = j;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < text.length && WORD_CHAR.test(text[j] as string)) j++;
      out.push({ t: 'word', v: text.slice(i, j), pos });
      i = j;
    } else {
      throw new ConditionError(`Unexpected character '${c}' at position ${pos}.`);
    }
  }
  return out;
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses the inside of a `[...]` literal; naive times are UTC, as CW stores them. */
export function parseDateLiteral(text: string): number {
  const m = DATE_RE.exec(text.trim());
  if (!m) throw new ConditionError(`Invalid DateTime value [${text}]. ${LITERAL_FORMAT_HELP}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  let ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(`0.${frac || '0'}`) * 1000,
  );
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) {
    throw new ConditionError(`Invalid DateTime value [${text}]. ${LITERAL_FORMAT_HELP}`);
  }
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Math.floor(ms / 1000) * 1000;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'like', 'in', 'true', 'false', 'null']);

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly allowIn: boolean,
  ) {}

  parse(): ConditionExpr {
    const e = this.parseOr();
    const rest = this.tokens[this.i];
    if (rest) throw new ConditionError(`Unexpected ${describe(rest)} at position ${rest.pos}.`);
    return e;
  }

  private peekWord(word: string): boolean {
    const t = this.tokens[this.i];
    return t?.t === 'word' && t.v.toLowerCase() === word;
  }

  private parseOr(): ConditionExpr {
    const items = [this.parseAnd()];
    while (this.peekWord('or')) {
      this.i++;
      items.push(this.parseAnd());
    }
    return items.length === 1 ? (items[0] as ConditionExpr) : { type: 'or', items };
  }

  private parseAnd(): ConditionExpr {
    const items = [this.parseUnary()];
    while (this.peekWord('and')) {
      this.i++;
      items.push(this.parseUnary());
    }
    return items.length === 1 ? (items[0] as ConditionExpr) : { type: 'and', items };
  }

  private parseUnary(): ConditionExpr {
    if (this.peekWord('not')) {
      this.i++;
      return { type: 'not', item: this.parseUnary() };
    }
    const t = this.tokens[this.i];
    if (!t) throw new ConditionError('Unexpected end of conditions.');
    if (t.t === 'lp') {
      this.i++;
      const inner = this.parseOr();
      const close = this.tokens[this.i];
      if (close?.t !== 'rp') throw new ConditionError(`Expected ')' ${close ? `at position ${close.pos}` : 'at end'}.`);
      this.i++;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): ConditionExpr {
    const t = this.tokens[this.i];
    if (t?.t !== 'word' || KEYWORDS.has(t.v.toLowerCase())) {
      throw new ConditionError(`Expected a field name ${t ? `at position ${t.pos}, found ${describe(t)}` : 'at end'}.`);
    }
    this.i++;
    const path = t.v.split('/').filter((s) => s.length > 0);
    let negated = false;
    if (this.peekWord('not')) {
      negated = true;
      this.i++;
    }
    const opTok = this.tokens[this.i];
    let op: CompareOp;
    if (opTok?.t === 'op' && !negated) op = opTok.v;
    else if (opTok?.t === 'word' && ['contains', 'like', 'in'].includes(opTok.v.toLowerCase())) {
      op = opTok.v.toLowerCase() as CompareOp;
    } else {
      throw new ConditionError(
        `Expected an operator after '${t.v}' ${opTok ? `at position ${opTok.pos}, found ${describe(opTok)}` : 'at end'}.`,
      );
    }
    this.i++;
    if (op === 'in') {
      if (!this.allowIn) throw new ConditionError('The in operator is not supported here.');
      const lp = this.tokens[this.i];
      if (lp?.t !== 'lp') throw new ConditionError(`Expected '(' after in for '${t.v}'.`);
      this.i++;
      const values: Literal[] = [this.parseLiteral()];
      while (this.tokens[this.i]?.t === 'comma') {
        this.i++;
        values.push(this.parseLiteral());
      }
      if (this.tokens[this.i]?.t !== 'rp') throw new ConditionError(`Expected ')' to close the in list for '${t.v}'.`);
      this.i++;
      return { type: 'cmp', path, op, negated, value: values };
    }
    return { type: 'cmp', path, op, negated, value: this.parseLiteral() };
  }

  private parseLiteral(): Literal {
    const t = this.tokens[this.i];
    if (!t) throw new ConditionError(`Expected a value at end of conditions. ${LITERAL_FORMAT_HELP}`);
    this.i++;
    switch (t.t) {
      case 'str':
        return { kind: 'string', value: t.v };
      case 'num':
        return { kind: 'number', value: t.v };
      case 'date':
        return { kind: 'datetime', value: parseDateLiteral(t.v), text: t.v };
      case 'word': {
        const w = t.v.toLowerCase();
        if (w === 'true' || w === 'false') return { kind: 'boolean', value: w === 'true' };
        if (w === 'null') return { kind: 'null' };
        throw new ConditionError(`Unrecognized value '${t.v}'. ${LITERAL_FORMAT_HELP}`);
      }
      default:
        throw new ConditionError(`Expected a value at position ${t.pos}, found ${describe(t)}. ${LITERAL_FORMAT_HELP}`);
    }
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case 'lp':
      return "'('";
    case 'rp':
      return "')'";
    case 'comma':
      return "','";
    case 'op':
      return `'${t.v}'`;
    case 'str':
      return `string "${t.v}"`;
    case 'num':
      return `number ${t.raw}`;
    case 'date':
      return `[${t.v}]`;
    case 'word':
      return `'${t.v}'`;
  }
}

/** Parses a conditions string. `allowIn` is false for childConditions (DG: same grammar minus `in`). */
export function parseConditions(text: string, allowIn = true): ConditionExpr {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ConditionError('Conditions are empty.');
  return new Parser(tokens, allowIn).parse();
}
