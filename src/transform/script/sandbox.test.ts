import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkScript, runScript, ScriptRuntime } from './index.ts';

/** After every hostile script, the host must still run a normal one. */
async function healthy(): Promise<void> {
  const outcome = await runScript('done({ sum: a + b })', { a: 2, b: 3 });
  expect(outcome).toEqual({ ok: true, value: { sum: 5 } });
}

describe('script sandbox: results and errors', () => {
  it('runs with the scope as variables and ends with done()', async () => {
    expect(await runScript('done(contact.firstName.toUpperCase())', { contact: { firstName: 'ann' } })).toEqual({
      ok: true,
      value: 'ANN',
    });
  });

  it('a thrown error names the line of the script', async () => {
    const outcome = await runScript('var x = 1;\nvar y = 2;\nnull.boom;\ndone(x)', {});
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'SCRIPT_ERROR', message: "TypeError: cannot read property 'boom' of null", line: 3 },
    });
  });

  it('a script that never calls done() says so', async () => {
    expect(await runScript('var x = 1;', {})).toEqual({
      ok: false,
      error: { code: 'SCRIPT_ERROR', message: 'script ended without done()' },
    });
  });

  it('done() inside a promise job counts', async () => {
    expect(await runScript('Promise.resolve(4).then(function (v) { done(v * 2) })', {})).toEqual({
      ok: true,
      value: 8,
    });
  });

  it('a value done() cannot serialise is an error, not a crash', async () => {
    const outcome = await runScript('var o = {}; o.self = o; done(o)', {});
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.message).toContain('not JSON');
  });

  it('compile errors name the line; a body cannot close its wrapper early', async () => {
    expect(await checkScript('var a = 1;\nvar b = ;\ndone(a)')).toEqual([
      { field: 'script.body', message: "line 2: SyntaxError: unexpected token in expression: ';'" },
    ]);
    const early = await checkScript('}); done(1); (function(){');
    expect(early).toHaveLength(1);
    expect(early[0]?.field).toBe('script.body');
    expect(await checkScript('}, function(){')).toHaveLength(1);
    expect(await checkScript('return done(1)')).toEqual([]);
    await healthy();
  });
});

describe('script sandbox: CE helpers', () => {
  it('b64, decode64, hmac, country and currency helpers', async () => {
    const outcome = await runScript(
      `done({
        b64: CE.b64('héllo wörld'),
        back: CE.decode64(CE.b64('héllo wörld')),
        hex: CE.hmacSha256Hex('the message', 'secret'),
        b64mac: CE.hmac('sha256')('base64')('the message', 'secret'),
        long: CE.hmacSha256Hex('m', key),
        iso2: CE.iso2CountryCode('Germany'),
        iso3: CE.iso3CountryCode('US'),
        cur: CE.currencyCode('GB'),
        sym: CE.currencySymbol('EUR'),
        unknown: CE.iso2CountryCode('Atlantis'),
        email: /^[a-z0-9]{12}@example\\.com$/.test(CE.randomEmail()),
      })`,
      { key: 'k'.repeat(100) },
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        b64: Buffer.from('héllo wörld').toString('base64'),
        back: 'héllo wörld',
        hex: createHmac('sha256', 'secret').update('the message').digest('hex'),
        b64mac: createHmac('sha256', 'secret').update('the message').digest('base64'),
        long: createHmac('sha256', 'k'.repeat(100)).update('m').digest('hex'),
        iso2: 'DE',
        iso3: 'USA',
        cur: 'GBP',
        sym: '€',
        unknown: null,
        email: true,
      },
    });
  });

  it('CE cannot be replaced by a script', async () => {
    const outcome = await runScript('CE.b64 = null; CE.extra = 1; done(typeof CE.b64 + CE.extra)', {});
    expect(outcome).toEqual({ ok: true, value: 'functionundefined' });
  });
});

describe('script sandbox: limits and escapes', () => {
  it('an infinite loop is stopped with SCRIPT_TIMEOUT', async () => {
    const started = Date.now();
    const outcome = await runScript('while (true) {}', {}, { cpuMs: 200 });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SCRIPT_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(3000);
    await healthy();
  });

  it('a loop that catches the interrupt is still stopped', async () => {
    const outcome = await runScript('for (;;) { try { while (true) {} } catch (e) {} }', {}, { cpuMs: 200 });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SCRIPT_TIMEOUT' } });
    await healthy();
  });

  it('catastrophic regex backtracking is stopped', async () => {
    const outcome = await runScript("done(/(a+)+b/.test('a'.repeat(40)))", {}, { cpuMs: 200 });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SCRIPT_TIMEOUT' } });
    await healthy();
  });

  it('a memory bomb is stopped with SCRIPT_MEMORY', async () => {
    const outcome = await runScript('var a = []; while (true) a.push(new ArrayBuffer(1e6));', {}, { cpuMs: 5000 });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SCRIPT_MEMORY' } });
    expect(outcome.ok || outcome.error.message).toContain('32 MiB');
    await healthy();
  });

  it('many mid-size strings (which QuickJS alone does not count) hit the memory budget or the deadline', async () => {
    const outcome = await runScript(
      "var a = []; while (true) a.push('y'.repeat(4e6) + a.length);",
      {},
      { cpuMs: 3000 },
    );
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(['SCRIPT_MEMORY', 'SCRIPT_TIMEOUT']).toContain(outcome.error.code);
    await healthy();
  });

  it('a huge string is refused', async () => {
    const outcome = await runScript("done('x'.repeat(1e9).length)", {});
    expect(outcome).toMatchObject({ ok: false });
    if (!outcome.ok) expect(['SCRIPT_MEMORY', 'SCRIPT_ERROR']).toContain(outcome.error.code);
    const doubling = await runScript("var s = 'x'; while (true) s = s + s;", {});
    expect(doubling.ok).toBe(false);
    await healthy();
  });

  it('deep recursion ends with a stack overflow error, not a host crash', async () => {
    for (const body of [
      'function f(n) { return f(n + 1) + 1 } f(0)',
      'var o = {}; for (var i = 0; i < 100000; i++) o = { a: o }; done(JSON.stringify(o).length)',
      "done(JSON.parse('['.repeat(100000)))",
      'var o = { get x() { return this.x } }; done(o.x)',
    ]) {
      const outcome = await runScript(body, {});
      expect(outcome.ok, body).toBe(false);
      if (!outcome.ok) expect(outcome.error.message, body).toMatch(/stack overflow/);
    }
    await healthy();
  });

  it('no require, process, host globals or Function escape', async () => {
    const outcome = await runScript(
      `var g = Function('return this')();
      done({
        require: typeof require,
        process: typeof process,
        gProcess: typeof g.process,
        module: typeof module,
        importMeta: (function () { try { return typeof eval('import.meta') } catch (e) { return 'error' } })(),
        ctorEscape: (function () {}).constructor('return typeof process')(),
        arrowEscape: (() => {}).constructor.constructor('return typeof require')(),
        globals: Object.getOwnPropertyNames(globalThis).filter(function (n) { return /^(process|require|Buffer|fetch|setTimeout|setInterval|XMLHttpRequest|WebSocket|os|std)$/.test(n) }),
      })`,
      {},
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        require: 'undefined',
        process: 'undefined',
        gProcess: 'undefined',
        module: 'undefined',
        importMeta: 'error',
        ctorEscape: 'undefined',
        arrowEscape: 'undefined',
        globals: [],
      },
    });
  });

  it('dynamic import is refused', async () => {
    const outcome = await runScript(
      "import('node:fs').then(function (m) { done(typeof m) }, function (e) { done('refused') })",
      {},
    );
    expect(outcome).toEqual({ ok: true, value: 'refused' });
  });

  it('prototype tricks stay inside the sandbox', async () => {
    const scope = { record: { name: 'x' } };
    const outcome = await runScript(
      `Object.prototype.polluted = 'yes';
      Array.prototype.push = function () { return 0 };
      JSON.parse = function () { return { hacked: true } };
      record.__proto__.alsoPolluted = 'yes';
      done(JSON.parse('{"__proto__": {"isAdmin": true}}'))`,
      scope,
    );
    expect(outcome.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).alsoPolluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf(scope.record)).toBe(Object.prototype);
    const values = [1, 2];
    values.push(3);
    expect(values).toHaveLength(3);
    // A value built with a __proto__ key comes back as plain data, never as a prototype.
    if (outcome.ok) expect(Object.getPrototypeOf(outcome.value)).toBe(Object.prototype);
    await healthy();
  });

  it('one runtime keeps running after a limit was hit (it is rebuilt)', async () => {
    const runtime = new ScriptRuntime('if (x === "loop") { while (true) {} } done({ x: x })', ['x'], { cpuMs: 200 });
    try {
      expect(await runtime.runBatch([['a']])).toEqual([{ ok: true, value: { x: 'a' } }]);
      const failed = await runtime.runBatch([['b'], ['loop'], ['c']]);
      expect(failed.every((o) => !o.ok && o.error.code === 'SCRIPT_TIMEOUT')).toBe(true);
      expect(await runtime.runBatch([['d']])).toEqual([{ ok: true, value: { x: 'd' } }]);
    } finally {
      runtime.dispose();
    }
  });

  it('in a batch, one failing record fails alone', async () => {
    const runtime = new ScriptRuntime('if (n === 2) { throw new Error("bad " + n) }\ndone(n * 10)', ['n']);
    try {
      const outcomes = await runtime.runBatch([[1], [2], [3]]);
      expect(outcomes).toEqual([
        { ok: true, value: 10 },
        { ok: false, error: { code: 'SCRIPT_ERROR', message: 'Error: bad 2', line: 1 } },
        { ok: true, value: 30 },
      ]);
    } finally {
      runtime.dispose();
    }
  });
});
