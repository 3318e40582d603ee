import { describe, expect, it } from 'vitest';
import { memoPerOwner } from './memo.ts';

describe('memoPerOwner', () => {
  it('computes a key once per owner and starts afresh at the bound', () => {
    const memo = memoPerOwner<object, number>(2);
    const a = {};
    const b = {};
    let calls = 0;
    const compute = () => ++calls;
    expect(memo(a, 'x', compute)).toBe(1);
    expect(memo(a, 'x', compute)).toBe(1);
    expect(memo(b, 'x', compute)).toBe(2); // another owner, another table
    expect(memo(a, 'y', compute)).toBe(3);
    expect(memo(a, 'z', compute)).toBe(4); // a's table was full: cleared, then z added
    expect(memo(a, 'x', compute)).toBe(5); // x was dropped with the clear
    expect(memo(b, 'x', compute)).toBe(2);
  });
});
