/**
 * SQL-style LIKE as ConnectWise passes it through: `%` and `*` match any run, `_` one character,
 * `[abc]` a character set (so `[[]` is a literal `[`, as the Developer Guide's escaping table says).
 * Matching is case-insensitive like CW's default SQL Server collation.
 */
export function likeToRegExp(pattern: string): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '%' || c === '*') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        src += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') && body.length > 1;
      const chars = (negate ? body.slice(1) : body).replace(/[\\\]^[-]/g, (m) => `\\${m}`);
      src += negate ? `[^${chars}]` : `[${chars}]`;
      i = end;
    } else src += c.replace(/[.*+?^${}()|[\]\\/]/g, (m) => `\\${m}`);
  }
  return new RegExp(`^${src}$`, 'iu');
}
