import { expect, it } from 'vitest';
import { elementHooks, loadElementCatalog } from '../elements/index.ts';
import { hookNames } from './write.ts';

it('every hook the element definition names is implemented by the engine', () => {
  const implemented = new Set(hookNames());
  for (const name of Object.keys(elementHooks)) expect(implemented.has(name), name).toBe(true);
  for (const def of loadElementCatalog().list()) {
    for (const r of def.resources)
      for (const c of r.children ?? []) if (c.hook) expect(implemented.has(c.hook), c.hook).toBe(true);
  }
});
