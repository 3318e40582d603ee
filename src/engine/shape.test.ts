import { describe, expect, it } from 'vitest';
import { encodePageToken, pageWindow } from './paging.ts';
import { mergeForReplace, normalizeReferences, stripNulls, toJsonPatch } from './shape.ts';

describe('stripNulls', () => {
  it('removes null properties at every depth and keeps array positions', () => {
    expect(stripNulls([{ a: null, b: 1, c: { d: null, e: [null, { f: null }] } }])).toEqual([
      { b: 1, c: { e: [null, {}] } },
    ]);
  });
});

describe('writes', () => {
  it('PATCH object → JSON-Patch; null removes; _info and id are never sent', () => {
    expect(toJsonPatch({ summary: 'x', owner: { id: '5' }, contact: null, _info: {}, id: 3 })).toEqual([
      { op: 'replace', path: 'summary', value: 'x' },
      { op: 'replace', path: 'owner', value: { id: 5 } },
      { op: 'remove', path: 'contact' },
    ]);
    expect(toJsonPatch([{ op: 'replace', path: '/summary', value: 'y' }])).toEqual([
      { op: 'replace', path: 'summary', value: 'y' },
    ]);
    expect(typeof toJsonPatch([{ op: 'move', path: 'a' }])).toBe('string');
  });
  it('references by identifier pass as written; numeric string ids become numbers', () => {
    expect(normalizeReferences({ company: { identifier: 'ACME' }, board: { id: '7' } })).toEqual({
      company: { identifier: 'ACME' },
      board: { id: 7 },
    });
  });
  it('PUT merges the body over the current record without computed fields', () => {
    expect(mergeForReplace({ id: 1, a: 1, b: 2, _info: { x: '1' } }, { b: 3 })).toEqual({ a: 1, b: 3 });
  });
});

describe('paging', () => {
  it('clamps to the maximum and reads Cloud Elements tokens', () => {
    expect(pageWindow({ pageSize: 5000 }, 200)).toEqual({ ok: true, value: { page: 1, pageSize: 200 } });
    expect(pageWindow({ nextPage: encodePageToken({ page: 3, pageSize: 50 }) }, 200)).toEqual({
      ok: true,
      value: { page: 3, pageSize: 50 },
    });
    expect(pageWindow({ nextPage: 'garbage' }, 200).ok).toBe(false);
    expect(Buffer.from(encodePageToken({ page: 2, pageSize: 50 }), 'base64').toString()).toBe(
      '{"page":2,"pageSize":50}',
    );
  });
});
