// Bounded memo tables for the hub's hot path: values computed from (an owner object, a text key), kept per owner
// until that owner's table reaches `max` entries, then started afresh. Owners are long-lived definition objects,
// so a WeakMap lets a replaced definition take its table with it.

export type Memo<O extends object, V> = (owner: O, key: string, compute: () => V) => V;

export function memoPerOwner<O extends object, V>(max: number): Memo<O, V> {
  const tables = new WeakMap<O, Map<string, V>>();
  return (owner, key, compute) => {
    let table = tables.get(owner);
    if (!table) {
      table = new Map();
      tables.set(owner, table);
    }
    let value = table.get(key);
    if (value === undefined) {
      value = compute();
      if (table.size >= max) table.clear();
      table.set(key, value);
    }
    return value;
  };
}
