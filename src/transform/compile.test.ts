import { describe, expect, it } from 'vitest';
import { originalKeysRead } from './compile.ts';
import {
  type CompiledTransformation,
  compileTransformation,
  type Definition,
  isFilteredOut,
  mergeTransformations,
  systemDefinitions,
  type Transformation,
  validateDefinition,
  validateTransformation,
} from './index.ts';

const definition: Definition = {
  name: 'myContacts',
  fields: [
    { path: 'idTransformed', type: 'string' },
    { path: 'first', type: 'string' },
    { path: 'email', type: 'string' },
    { path: 'company.name', type: 'string' },
    { path: 'created', type: 'date' },
    { path: 'age', type: 'number' },
    { path: 'inactive', type: 'boolean' },
    { path: 'secret', type: 'string' },
    { path: 'fullName', type: 'string' },
  ],
};

const transformation: Transformation = {
  level: 'organization',
  vendorName: 'contacts',
  fields: [
    { path: 'idTransformed', vendorPath: 'id', vendorType: 'integer' },
    { path: 'first', vendorPath: 'firstName' },
    { path: 'email', vendorPath: "communicationItems[?(@.communicationType=='Email')].value" },
    { path: 'company.name', vendorPath: 'company.name' },
    {
      path: 'created',
      vendorPath: '_info.dateEntered',
      configuration: [{ type: 'transformDate', properties: { pattern: 'dd/MM/yyyy HH:mm' } }],
    },
    { path: 'age', vendorPath: 'age' },
    { path: 'inactive', vendorPath: 'inactiveFlag' },
    { path: 'secret', vendorPath: 'ssn', configuration: [{ type: 'remove' }] },
  ],
};

const record = {
  id: 42,
  firstName: 'Ann',
  lastName: 'Lee',
  age: '37',
  inactiveFlag: 'false',
  ssn: '123',
  company: { id: 3, identifier: 'Acme', name: 'Acme Inc' },
  communicationItems: [
    { communicationType: 'Phone', value: '555-0100' },
    { communicationType: 'Email', value: 'ann@acme.test' },
  ],
  _info: { dateEntered: '2024-03-05T09:07:00Z' },
};

async function withCompiled(
  t: Transformation,
  fn: (c: CompiledTransformation) => Promise<void> | void,
  def: Definition | undefined = definition,
): Promise<void> {
  const compiled = await compileTransformation(def, t, { limits: { cpuMs: 500 } });
  try {
    await fn(compiled);
  } finally {
    compiled.dispose();
  }
}

describe('toCommon', () => {
  it('renames, follows filters, builds nested objects, coerces with notes, removes, drops unmapped', async () => {
    await withCompiled(transformation, async (c) => {
      expect(c.name).toBe('myContacts');
      expect(c.vendorName).toBe('contacts');
      const [mapped] = await c.toCommon([record]);
      expect(mapped).toEqual({
        ok: true,
        value: {
          idTransformed: '42',
          first: 'Ann',
          email: 'ann@acme.test',
          company: { name: 'Acme Inc' },
          created: '05/03/2024 09:07',
          age: 37,
          inactive: false,
        },
        notes: [
          { path: 'idTransformed', note: 'coerced number→string' },
          { path: 'age', note: 'coerced string→number' },
          { path: 'inactive', note: 'coerced string→boolean' },
        ],
      });
    });
  });

  it('notes a missing vendorPath and values that cannot be coerced; one result per record in order', async () => {
    await withCompiled(transformation, async (c) => {
      const out = await c.toCommon([{ id: 1, age: 'old' }, 'not a record', record]);
      expect(out).toHaveLength(3);
      expect(out[0]).toMatchObject({ ok: true, value: { idTransformed: '1', age: null } });
      const notes = out[0]?.ok ? out[0].notes : [];
      expect(notes).toContainEqual({ path: 'first', note: 'vendorPath missing in record' });
      expect(notes).toContainEqual({ path: 'age', note: '"old" is not a number: set to null' });
      expect(out[1]).toEqual({
        ok: false,
        error: { code: 'MAPPING_ERROR', message: 'the vendor record is string, not an object' },
      });
      expect(out[2]).toMatchObject({ ok: true, value: { first: 'Ann' } });
    });
  });

  it('removeUnmappedFields off copies unmapped vendor fields as they are', async () => {
    const t: Transformation = {
      ...transformation,
      configuration: [{ type: 'removeUnmappedFields', properties: { enabled: false } }],
    };
    await withCompiled(t, async (c) => {
      const [mapped] = await c.toCommon([{ ...record, ['__proto__' as string]: { polluted: true } }]);
      expect(mapped?.ok).toBe(true);
      if (!mapped?.ok) return;
      expect(mapped.value.lastName).toBe('Lee');
      expect(mapped.value.firstName).toBeUndefined(); // consumed by `first`
      expect(mapped.value.ssn).toBeUndefined(); // removed
      expect(mapped.value.communicationItems).toBeUndefined();
      expect(Object.getPrototypeOf(mapped.value)).toBe(Object.prototype);
    });
  });

  it('passThrough copies untouched and limits directions', async () => {
    const t: Transformation = {
      level: 'organization',
      vendorName: 'contacts',
      fields: [
        { path: 'age', type: 'number', vendorPath: 'age', configuration: [{ type: 'passThrough' }] },
        {
          path: 'readOnly',
          vendorPath: 'lastName',
          configuration: [{ type: 'passThrough', properties: { toVendor: false } }],
        },
        {
          path: 'writeOnly',
          vendorPath: 'nickName',
          configuration: [{ type: 'passThrough', properties: { fromVendor: false } }],
        },
      ],
    };
    await withCompiled(
      t,
      async (c) => {
        const [mapped] = await c.toCommon([{ ...record, nickName: 'A' }]);
        expect(mapped).toEqual({ ok: true, value: { age: '37', readOnly: 'Lee' }, notes: [] });
        expect(c.toVendor({ age: '38', readOnly: 'x', writeOnly: 'B' })).toEqual({
          ok: true,
          value: { age: '38', nickName: 'B' },
        });
      },
      undefined,
    );
  });
});

describe('toVendor', () => {
  it('reverses paths, creates the filtered array item, reverses transformDate and vendorType, drops unmapped', async () => {
    await withCompiled(transformation, (c) => {
      expect(
        c.toVendor({
          idTransformed: '43',
          first: 'Bo',
          email: 'bo@acme.test',
          company: { name: 'Acme' },
          created: '01/02/2023 10:30',
          secret: 'x',
          unknown: 1,
        }),
      ).toEqual({
        ok: true,
        value: {
          id: 43,
          firstName: 'Bo',
          communicationItems: [{ communicationType: 'Email', value: 'bo@acme.test' }],
          company: { name: 'Acme' },
          _info: { dateEntered: '2023-02-01T10:30:00Z' },
        },
      });
    });
  });

  it('answers a mapping error naming the field for a value it cannot convert', async () => {
    await withCompiled(transformation, (c) => {
      expect(c.toVendor({ created: '2023-02-01' })).toEqual({
        ok: false,
        error: {
          code: 'MAPPING_ERROR',
          message: `created: "2023-02-01" does not match the date pattern 'dd/MM/yyyy HH:mm'`,
        },
      });
      expect(c.toVendor({ idTransformed: 'abc' })).toMatchObject({ ok: false, error: { code: 'MAPPING_ERROR' } });
    });
  });

  it('round-trips: toCommon(toVendor(x)) gives x back for mapped fields', async () => {
    await withCompiled(transformation, async (c) => {
      const common = {
        idTransformed: '7',
        first: 'Cy',
        email: 'cy@x.test',
        company: { name: 'X' },
        created: '31/12/2022 23:59',
      };
      const vendor = c.toVendor(common);
      expect(vendor.ok).toBe(true);
      if (!vendor.ok) return;
      const [back] = await c.toCommon([vendor.value]);
      expect(back?.ok && back.value).toEqual(common);
    });
  });
});

describe('translateQuery', () => {
  it('renames where, orderBy and fields to vendor names', async () => {
    await withCompiled(transformation, (c) => {
      expect(
        c.translateQuery({
          where: "idTransformed = '5' AND (company.name LIKE 'Ac%' OR first IN ('a', 'b'))",
          orderBy: 'first desc, idTransformed',
          fields: 'first,email,company.name',
        }),
      ).toEqual({
        ok: true,
        value: {
          where: "id = '5' AND (company.name LIKE 'Ac%' OR firstName IN ('a', 'b'))",
          orderBy: 'firstName desc,id',
          fields: 'firstName,communicationItems,company.name',
        },
      });
    });
  });

  it('converts date literals through transformDate', async () => {
    await withCompiled(transformation, (c) => {
      expect(c.translateQuery({ where: "created >= '01/01/2024 00:00'" })).toEqual({
        ok: true,
        value: { where: "_info.dateEntered >= '2024-01-01T00:00:00Z'" },
      });
      expect(c.translateQuery({ where: "created >= '2024-01-01'" })).toMatchObject({
        ok: false,
        error: { field: 'where' },
      });
    });
  });

  it('refuses filters, removed, unknown and script-only fields with a reason', async () => {
    const t: Transformation = {
      ...transformation,
      script: { body: 'transformedObject.fullName = "x"; done(transformedObject)' },
    };
    await withCompiled(t, (c) => {
      const email = c.translateQuery({ where: "email = 'x'" });
      expect(email).toMatchObject({ ok: false, error: { field: 'where' } });
      expect(!email.ok && email.error.message).toContain('filter');
      const removed = c.translateQuery({ orderBy: 'secret' });
      expect(!removed.ok && removed.error).toEqual({
        field: 'orderBy',
        message: "'secret' is removed by the transformation of myContacts",
      });
      const script = c.translateQuery({ where: "fullName = 'x'" });
      expect(!script.ok && script.error.message).toContain('produced only by the script');
      const unknown = c.translateQuery({ fields: 'nope' });
      expect(!unknown.ok && unknown.error.field).toBe('fields');
      expect(c.translateQuery({ where: 'first = ' })).toMatchObject({ ok: false, error: { field: 'where' } });
    });
  });
});

describe('script', () => {
  it('runs after the mapping with originalObject and transformedObject; notes what it set', async () => {
    const t: Transformation = {
      ...transformation,
      script: {
        body: [
          'transformedObject.fullName = originalObject.firstName + " " + originalObject.lastName;',
          'transformedObject.sig = CE.hmacSha256Hex(transformedObject.first, "k").slice(0, 8);',
          'delete transformedObject.age;',
          'done(transformedObject);',
        ].join('\n'),
      },
    };
    await withCompiled(t, async (c) => {
      const [mapped] = await c.toCommon([record]);
      expect(mapped).toMatchObject({ ok: true, value: { fullName: 'Ann Lee', first: 'Ann' } });
      if (!mapped?.ok) return;
      expect(mapped.value.age).toBeUndefined();
      expect(mapped.notes).toContainEqual({ path: 'fullName', note: 'set by script' });
      expect(mapped.notes).toContainEqual({ path: 'age', note: 'removed by script' });
    });
  });

  it('one failing record gives one per-record error naming the line; the others map', async () => {
    const t: Transformation = {
      ...transformation,
      script: { body: 'var x = 1;\nif (originalObject.id === 2) null.crash;\ndone(transformedObject)' },
    };
    await withCompiled(t, async (c) => {
      const out = await c.toCommon([{ id: 1 }, { id: 2 }, { id: 3 }]);
      expect(out.map((m) => m.ok)).toEqual([true, false, true]);
      expect(out[1]).toEqual({
        ok: false,
        error: { code: 'SCRIPT_ERROR', message: "TypeError: cannot read property 'crash' of null", line: 2 },
      });
    });
  });

  it('filterEmptyResponse marks records whose script gives null or {}; without it null maps to {}', async () => {
    const body =
      'if (originalObject.id === 1) done(null); else if (originalObject.id === 2) done({}); else done(transformedObject)';
    await withCompiled({ ...transformation, script: { body, filterEmptyResponse: true } }, async (c) => {
      const out = await c.toCommon([{ id: 1 }, { id: 2 }, { id: 3 }]);
      // One result per record, same order: the filtered ones are marked, and lists leave them out.
      expect(out.map(isFilteredOut)).toEqual([true, true, false]);
      expect(out[0]).toMatchObject({ ok: true, value: {} });
      expect(out[2]).toMatchObject({ ok: true, value: { idTransformed: '3' } });
      expect(out.filter((m) => !isFilteredOut(m))).toHaveLength(1);
    });
    await withCompiled({ ...transformation, script: { body } }, async (c) => {
      const out = await c.toCommon([{ id: 1 }, { id: 2 }]);
      expect(out.map((m) => m.ok && m.value)).toEqual([{}, {}]);
      expect(out.some(isFilteredOut)).toBe(false);
    });
  });

  it('an endless script times out for the page and the next page works', async () => {
    const t: Transformation = {
      ...transformation,
      script: { body: 'if (originalObject.id === 9) { while (true) {} }\ndone(transformedObject)' },
    };
    await withCompiled(t, async (c) => {
      const out = await c.toCommon([{ id: 1 }, { id: 9 }]);
      expect(out.every((m) => !m.ok && m.error.code === 'SCRIPT_TIMEOUT')).toBe(true);
      const next = await c.toCommon([{ id: 2 }]);
      expect(next[0]).toMatchObject({ ok: true, value: { idTransformed: '2' } });
    });
  });
});

describe('validation', () => {
  it('accepts the system templates and the sample', async () => {
    for (const def of systemDefinitions) expect(validateDefinition(def)).toEqual([]);
    expect(systemDefinitions.map((d) => d.name)).toEqual(expect.arrayContaining(['contact', 'account', 'ticket']));
    expect(validateDefinition(definition)).toEqual([]);
    expect(await validateTransformation(transformation, definition)).toEqual([]);
  });

  it('names the field and the problem', async () => {
    expect(
      validateDefinition({
        name: 'bad name',
        fields: [
          { path: 'a', type: 'string' },
          { path: 'a.b', type: 'string' },
          { path: 'a', type: 'string' },
          { path: 'x', type: 'money' as 'string' },
          { path: 'y..z', type: 'string' },
        ],
      }).map((p) => p.field),
    ).toEqual(['name', 'fields[2].path', 'fields[3].type', 'fields[4].path', 'fields[1].path']);

    const problems = await validateTransformation(
      {
        level: 'account' as 'organization',
        vendorName: 'contacts',
        configuration: [{ type: 'removeUnmappedFields', properties: { enabled: 'no' } }],
        fields: [
          { path: 'first', vendorPath: 'firstName[' },
          { path: 'nope', vendorPath: 'x' },
          {
            path: 'created',
            vendorPath: 'd',
            configuration: [{ type: 'transformDate', properties: { pattern: 'yyyy-QQ' } }],
          },
          { path: 'age', vendorPath: 'age', configuration: [{ type: 'explode' }] },
        ],
        script: { body: 'var a = 1;\nvar = 2;' },
      },
      definition,
    );
    expect(problems).toEqual([
      { field: 'level', message: "must be 'organization' or 'instance'" },
      { field: 'configuration[0].properties.enabled', message: 'must be true or false' },
      { field: 'fields[0].vendorPath', message: "'[' is not closed at position 9" },
      { field: 'fields[1].path', message: expect.stringContaining("'nope' is not a field of definition 'myContacts'") },
      { field: 'fields[2].configuration[0].properties.pattern', message: expect.stringContaining("letter 'Q'") },
      {
        field: 'fields[3].configuration[0].type',
        message: expect.stringContaining("'explode' is not a field configuration type"),
      },
      { field: 'script.body', message: expect.stringMatching(/^line 2: SyntaxError/) },
    ]);
  });

  it('compileTransformation refuses what validation refuses', async () => {
    await expect(
      compileTransformation(definition, {
        level: 'organization',
        vendorName: 'contacts',
        fields: [{ path: 'a', vendorPath: 'b[' }],
      }),
    ).rejects.toThrow(/fields\[0\]\.vendorPath/);
  });
});

describe('mergeTransformations', () => {
  const org: Transformation = {
    level: 'organization',
    vendorName: 'contacts',
    fields: [
      { path: 'a', vendorPath: 'x' },
      { path: 'b', vendorPath: 'y' },
    ],
    configuration: [{ type: 'removeUnmappedFields', properties: { enabled: false } }],
    script: { body: 'done(transformedObject)' },
  };
  it('instance fields replace org fields of the same path; the rest is inherited', () => {
    const merged = mergeTransformations(org, {
      level: 'instance',
      vendorName: 'contacts',
      fields: [
        { path: 'b', vendorPath: 'z' },
        { path: 'c', vendorPath: 'w' },
      ],
    });
    expect(merged).toEqual({
      level: 'instance',
      vendorName: 'contacts',
      fields: [
        { path: 'a', vendorPath: 'x' },
        { path: 'b', vendorPath: 'z' },
        { path: 'c', vendorPath: 'w' },
      ],
      configuration: org.configuration,
      script: org.script,
    });
  });
  it('instance script and configuration replace; inherit off or another vendor object replaces it all', () => {
    const inst: Transformation = {
      level: 'instance',
      vendorName: 'contacts',
      fields: [],
      configuration: [{ type: 'removeUnmappedFields', properties: { enabled: true } }],
      script: { body: 'done({})' },
    };
    expect(mergeTransformations(org, inst)).toMatchObject({
      configuration: [{ type: 'removeUnmappedFields', properties: { enabled: true } }],
      script: { body: 'done({})' },
      fields: org.fields,
    });
    const alone = { ...inst, configuration: [{ type: 'inherit', properties: { enabled: false } }] };
    expect(mergeTransformations(org, alone)).toBe(alone);
    const other = { ...inst, vendorName: 'accounts' };
    expect(mergeTransformations(org, other)).toBe(other);
    expect(mergeTransformations(org, undefined)).toBe(org);
    expect(mergeTransformations(undefined, undefined)).toBeUndefined();
  });
});

describe('originalKeysRead (what a script sees of originalObject)', () => {
  it('lists literal member reads, or undefined when the script may read anything', () => {
    expect(
      originalKeysRead("done({ a: originalObject.firstName, b: originalObject['last name'], c: originalObject . id })"),
    ).toEqual(['firstName', 'last name', 'id']);
    expect(originalKeysRead('done(transformedObject)')).toEqual([]);
    expect(originalKeysRead('done(originalObject)')).toBeUndefined();
    expect(originalKeysRead('var k = "id"; done(originalObject[k])')).toBeUndefined();
    expect(originalKeysRead('done(arguments[0].id)')).toBeUndefined();
    expect(originalKeysRead('var o = originalObject; done(o.id)')).toBeUndefined();
  });

  it('a script reading the whole original still sees every field', async () => {
    const t: Transformation = {
      ...transformation,
      script: { body: 'done({ keys: Object.keys(originalObject).length })' },
    };
    await withCompiled(t, async (c) => {
      const [mapped] = await c.toCommon([record]);
      expect(mapped).toMatchObject({ ok: true, value: { keys: Object.keys(record).length } });
    });
  });
});
