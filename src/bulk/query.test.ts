import { describe, expect, it } from 'vitest';
import { formatJavaDate, incrementalWhere, parseBulkQuery } from './query.ts';

describe('bulk query language', () => {
  it.each([
    ['select * from contacts', { objectName: 'contacts' }],
    ["SELECT * FROM contacts WHERE lastName = 'Lee'", { objectName: 'contacts', where: "lastName = 'Lee'" }],
    ['select firstName, `company.id` from contacts', { objectName: 'contacts', fields: ['firstName', 'company.id'] }],
    ['select * from system/members where id > 3;', { objectName: 'system/members', where: 'id > 3' }],
    [
      "select * from contacts where note = 'from x where y'",
      { objectName: 'contacts', where: "note = 'from x where y'" },
    ],
  ])('%s', (q, expected) => {
    expect(parseBulkQuery(q)).toEqual({ ok: true, value: expected });
  });

  it.each([
    'select from contacts',
    'select * form contacts',
    'delete * from contacts',
    'select * from contacts where',
    'select a b from c',
  ])('refuses %s', (q) => {
    const r = parseBulkQuery(q);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('QUERY_PARSE');
  });

  it('formats dates with Java masks in UTC', () => {
    const d = new Date('2025-03-04T05:06:07.089Z');
    expect(formatJavaDate(d, "yyyy-MM-dd'T'HH:mm:ss'Z'")).toBe('2025-03-04T05:06:07Z');
    expect(formatJavaDate(d, 'yyyy-MM-dd HH:mm:ss.SSSXXX')).toBe('2025-03-04 05:06:07.089Z');
    expect(formatJavaDate(d, "dd/MM/yy 'at' hh:mm")).toBe('04/03/25 at 05:06');
  });

  it('builds the incremental clause from the bulk.query.* parameters', () => {
    const config = {
      'bulk.query.field_name': 'lastUpdated',
      'bulk.query.operator': '>',
      'bulk.query.date_mask': "yyyy-MM-dd'T'HH:mm:ss'Z'",
    };
    expect(incrementalWhere(config, '2025-01-02T03:04:05.678+01:00', "lastName = 'Lee'")).toEqual({
      ok: true,
      value: "(lastName = 'Lee') AND lastUpdated > '2025-01-02T02:04:05Z'",
    });
    expect(incrementalWhere(config, 'yesterday', undefined).ok).toBe(false);
    expect(incrementalWhere({ ...config, 'bulk.query.operator': '<>' }, '2025-01-01', undefined).ok).toBe(false);
    expect(incrementalWhere({}, '2025-01-01', undefined).ok).toBe(false);
  });
});
