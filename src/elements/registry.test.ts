import { describe, expect, it } from 'vitest';
import { elementHooks, loadElementCatalog, validateElementDefinition } from './registry.ts';

describe('element definitions', () => {
  const def = loadElementCatalog().find('connectwisecrmrest')!;

  it('loads the ConnectWise definition by key and by id', () => {
    expect(def.key).toBe('connectwisecrmrest');
    expect(loadElementCatalog().find(3012)?.key).toBe('connectwisecrmrest');
  });

  it('fails loudly on an invalid definition, naming the problem', () => {
    const broken = structuredClone(def) as unknown as Record<string, unknown>;
    delete broken.auth;
    expect(() => validateElementDefinition(broken, 'broken.json')).toThrow(/broken\.json is invalid[\s\S]*auth/);
  });

  it('refuses a definition naming a hook that does not exist', () => {
    const withHook = structuredClone(def);
    withHook.hooks = ['noSuchHook'];
    expect(() => validateElementDefinition(withHook, 'x')).toThrow(/unknown hook noSuchHook/);
  });

  it('every hook a resource names resolves', () => {
    const named = def.resources.flatMap((r) => (r.children ?? []).map((c) => c.hook).filter(Boolean));
    for (const h of [...named, ...def.hooks]) expect(elementHooks[h as string]).toBe(true);
  });
});
