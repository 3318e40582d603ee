import type { Literal, WhereNode } from './ast.ts';
import { isPlainName } from './parse.ts';

/**
 * Prints a syntax tree back to canonical CEQL: `parseWhere(printWhere(node))` yields the same tree
 * (spans aside). Compound operands are always parenthesised, strings single-quoted.
 */
export function printWhere(node: WhereNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.operands
        .map((operand) =>
          operand.kind === 'and' || operand.kind === 'or' ? `(${printWhere(operand)})` : printWhere(operand),
        )
        .join(node.kind === 'and' ? ' AND ' : ' OR ');
    case 'comparison':
      return `${printFieldName(node.field.name)} ${node.operator} ${printLiteral(node.value)}`;
    case 'like':
      return `${printFieldName(node.field.name)} ${node.negated ? 'NOT LIKE' : 'LIKE'} ${printLiteral(node.pattern)}`;
    case 'in':
      return `${printFieldName(node.field.name)} ${node.negated ? 'NOT IN' : 'IN'} (${node.values.map(printLiteral).join(', ')})`;
    case 'isNull':
      return `${printFieldName(node.field.name)} ${node.negated ? 'IS NOT NULL' : 'IS NULL'}`;
  }
}

export function printFieldName(name: string): string {
  return isPlainName(name) ? name : `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '``')}\``;
}

export function printLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return `'${literal.value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
    case 'number':
      return literal.value;
    case 'boolean':
      return String(literal.value);
    case 'null':
      return 'null';
  }
}
