import type {
  CeqlError,
  ComparisonOperator,
  FieldRef,
  Literal,
  PredicateNode,
  Result,
  StringLiteral,
  WhereNode,
} from './ast.ts';

/** Nesting deeper than this is rejected so hostile input cannot exhaust the stack. */
export const MAX_NESTING_DEPTH = 100;

const KEYWORDS = ['and', 'or', 'not', 'like', 'in', 'is', 'null', 'true', 'false'] as const;
type Keyword = (typeof KEYWORDS)[number];
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

type Token =
  | { type: 'ident'; name: string; start: number; end: number }
  | { type: 'keyword'; keyword: Keyword; start: number; end: number }
  | { type: 'string'; value: string; start: number; end: number }
  | { type: 'number'; value: string; start: number; end: number }
  | { type: 'operator'; operator: ComparisonOperator; start: number; end: number }
  | { type: '(' | ')' | ','; start: number; end: number }
  | { type: 'eof'; start: number; end: number };

/** Thrown only inside this module and always caught by `parseWhere`; callers see a `Result`. */
class ParseFailure extends Error {
  constructor(
    readonly what: string,
    readonly position: number,
  ) {
    super(what);
  }
}

const NAME_START = /[A-Za-z_$]/;
const NAME_PART = /[A-Za-z0-9_$]/;
const DIGIT = /[0-9]/;
const SPACE = /\s/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, start, end: ++i });
    } else if (c === "'" || c === '"') {
      const { value, end } = readQuoted(text, i, c);
      tokens.push({ type: 'string', value, start, end });
      i = end;
    } else if (c === '`') {
      const { value, end } = readQuoted(text, i, '`');
      if (value.length === 0) throw new ParseFailure('empty field name', start);
      tokens.push({ type: 'ident', name: value, start, end });
      i = end;
    } else if (DIGIT.test(c) || (c === '-' && DIGIT.test(text[i + 1] ?? ''))) {
      i = c === '-' ? i + 1 : i;
      while (DIGIT.test(text[i] ?? '')) i++;
      if (text[i] === '.' && DIGIT.test(text[i + 1] ?? '')) {
        i++;
        while (DIGIT.test(text[i] ?? '')) i++;
      }
      if (NAME_PART.test(text[i] ?? '') || text[i] === '.') throw new ParseFailure('malformed number', start);
      tokens.push({ type: 'number', value: text.slice(start, i), start, end: i });
    } else if (NAME_START.test(c)) {
      i = readName(text, i);
      const name = text.slice(start, i);
      const lower = name.toLowerCase();
      if (KEYWORD_SET.has(lower)) tokens.push({ type: 'keyword', keyword: lower as Keyword, start, end: i });
      else tokens.push({ type: 'ident', name, start, end: i });
    } else if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = text.slice(i, i + 2);
      let operator: ComparisonOperator;
      if (two === '<=' || two === '>=' || two === '!=') operator = two;
      else if (two === '<>') operator = '!=';
      else if (c === '!') throw new ParseFailure('expected "!="', start);
      else operator = c;
      i += two === '<=' || two === '>=' || two === '!=' || two === '<>' ? 2 : 1;
      tokens.push({ type: 'operator', operator, start, end: i });
    } else {
      throw new ParseFailure(`unexpected character ${JSON.stringify(c)}`, start);
    }
  }
  tokens.push({ type: 'eof', start: text.length, end: text.length });
  return tokens;
}

/** Plain names: segments of `[A-Za-z_$][A-Za-z0-9_$]*` joined by `.` (CEQL) or `/` (ConnectWise spelling). */
function readName(text: string, i: number): number {
  while (true) {
    const segmentStart = i;
    while (NAME_PART.test(text[i] ?? '')) i++;
    if (i === segmentStart || !NAME_START.test(text[segmentStart]!)) {
      throw new ParseFailure('expected a name after the separator', segmentStart);
    }
    const next = text[i];
    if (next !== '.' && next !== '/') return i;
    i++;
  }
}

/**
 * Quoted text: the quote character is escaped by doubling it (`'it''s'`) or with a backslash (`'it\'s'`);
 * `\\` is a backslash. Any other backslash is kept literally, so `'C:\temp'` means what it shows.
 */
function readQuoted(text: string, open: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = open + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (c === '\\' && (text[i + 1] === quote || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw new ParseFailure(quote === '`' ? 'unterminated backticked name' : 'unterminated string', open);
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parseWhole(): WhereNode {
    const node = this.parseOr();
    const next = this.peek();
    if (next.type !== 'eof') {
      throw new ParseFailure(
        next.type === ')' ? 'unbalanced ")"' : 'expected AND, OR or the end of the query',
        next.start,
      );
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private advance(): Token {
    const token = this.tokens[this.index]!;
    if (token.type !== 'eof') this.index++;
    return token;
  }

  private previousEnd(): number {
    return this.tokens[this.index - 1]?.end ?? 0;
  }

  private isKeyword(keyword: Keyword): boolean {
    const token = this.peek();
    return token.type === 'keyword' && token.keyword === keyword;
  }

  private expectKeyword(keyword: Keyword, what: string): void {
    if (!this.isKeyword(keyword)) throw new ParseFailure(what, this.peek().start);
    this.advance();
  }

  private parseOr(): WhereNode {
    const start = this.peek().start;
    const operands = [this.parseAnd()];
    while (this.isKeyword('or')) {
      this.advance();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands, start, end: this.previousEnd() };
  }

  private parseAnd(): WhereNode {
    const start = this.peek().start;
    const operands = [this.parseUnary()];
    while (this.isKeyword('and')) {
      this.advance();
      operands.push(this.parseUnary());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands, start, end: this.previousEnd() };
  }

  private parseUnary(): WhereNode {
    const token = this.peek();
    if (token.type !== '(') return this.parsePredicate();
    if (++this.depth > MAX_NESTING_DEPTH) throw new ParseFailure('parentheses nested too deeply', token.start);
    this.advance();
    const inner = this.parseOr();
    const close = this.peek();
    if (close.type !== ')') throw new ParseFailure('expected ")"', close.start);
    this.advance();
    this.depth--;
    return inner;
  }

  private parseField(): FieldRef {
    const token = this.peek();
    if (token.type !== 'ident') {
      throw new ParseFailure(
        token.type === 'keyword'
          ? `expected a field name, not the keyword ${token.keyword.toUpperCase()}`
          : 'expected a field name',
        token.start,
      );
    }
    this.advance();
    return { name: token.name, start: token.start, end: token.end };
  }

  private parsePredicate(): PredicateNode {
    const field = this.parseField();
    const start = field.start;
    const token = this.peek();
    if (token.type === 'operator') {
      this.advance();
      const value = this.parseLiteral();
      return { kind: 'comparison', field, operator: token.operator, value, start, end: value.end };
    }
    if (token.type === 'keyword') {
      if (token.keyword === 'is') {
        this.advance();
        const negated = this.isKeyword('not');
        if (negated) this.advance();
        this.expectKeyword('null', negated ? 'expected NULL after IS NOT' : 'expected NULL or NOT NULL after IS');
        return { kind: 'isNull', field, negated, start, end: this.previousEnd() };
      }
      const negated = token.keyword === 'not';
      if (negated) this.advance();
      if (this.isKeyword('like')) {
        this.advance();
        const pattern = this.parseStringLiteral();
        return { kind: 'like', field, negated, pattern, start, end: pattern.end };
      }
      if (this.isKeyword('in')) {
        this.advance();
        const values = this.parseList();
        return { kind: 'in', field, negated, values, start, end: this.previousEnd() };
      }
      if (negated) throw new ParseFailure('expected LIKE or IN after NOT', this.peek().start);
    }
    throw new ParseFailure(
      'expected an operator (=, !=, <>, <, >, <=, >=, LIKE, NOT LIKE, IN, NOT IN, IS NULL, IS NOT NULL)',
      token.start,
    );
  }

  private parseList(): Literal[] {
    const open = this.peek();
    if (open.type !== '(') throw new ParseFailure('expected "(" after IN', open.start);
    this.advance();
    const values = [this.parseLiteral()];
    while (this.peek().type === ',') {
      this.advance();
      values.push(this.parseLiteral());
    }
    const close = this.peek();
    if (close.type !== ')') throw new ParseFailure('expected "," or ")" in the IN list', close.start);
    this.advance();
    return values;
  }

  private parseStringLiteral(): StringLiteral {
    const token = this.peek();
    if (token.type !== 'string') throw new ParseFailure('expected a quoted pattern after LIKE', token.start);
    this.advance();
    return { kind: 'string', value: token.value, start: token.start, end: token.end };
  }

  private parseLiteral(): Literal {
    const token = this.peek();
    const span = { start: token.start, end: token.end };
    if (token.type === 'string') {
      this.advance();
      return { kind: 'string', value: token.value, ...span };
    }
    if (token.type === 'number') {
      this.advance();
      return { kind: 'number', value: token.value, ...span };
    }
    if (token.type === 'keyword' && (token.keyword === 'true' || token.keyword === 'false')) {
      this.advance();
      return { kind: 'boolean', value: token.keyword === 'true', ...span };
    }
    if (token.type === 'keyword' && token.keyword === 'null') {
      this.advance();
      return { kind: 'null', ...span };
    }
    throw new ParseFailure('expected a value', token.start);
  }
}

const NEAR_LENGTH = 20;

export function describeParseError(text: string, what: string, position: number): string {
  const rest = text.slice(position);
  const where =
    rest.length === 0
      ? `at position ${position} (end of query)`
      : `at position ${position} near ${JSON.stringify(rest.length > NEAR_LENGTH ? `${rest.slice(0, NEAR_LENGTH)}…` : rest)}`;
  return `Error parsing query: ${what} ${where}`;
}

/** Parses a CEQL `where` expression. Empty or blank text is an error here; `translateWhere` accepts it. */
export function parseWhere(text: string): Result<WhereNode, CeqlError> {
  try {
    return { ok: true, value: new Parser(tokenize(text)).parseWhole() };
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    return {
      ok: false,
      error: {
        code: 'CEQL_PARSE',
        message: describeParseError(text, error.what, error.position),
        position: error.position,
      },
    };
  }
}

/** True when `name` can be written without backticks (and so reads back as the same name). */
export function isPlainName(name: string): boolean {
  return (
    /^[A-Za-z_$][A-Za-z0-9_$]*(?:[./][A-Za-z_$][A-Za-z0-9_$]*)*$/.test(name) && !KEYWORD_SET.has(name.toLowerCase())
  );
}
