import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger, newRequestId } from './requestLog.ts';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level }, out), lines };
}

describe('request ids', () => {
  it('are 24 hex characters and do not repeat', () => {
    const ids = new Set(Array.from({ length: 5000 }, newRequestId));
    expect(ids.size).toBe(5000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('lazy request logger', () => {
  it('logs with the request bindings at enabled levels', () => {
    const { logger, lines } = capture('info');
    const log = lazyChildLogger(logger, { reqId: 'abc' }, {});
    log.debug('hidden');
    log.info({ a: 1 }, 'shown');
    log.child({ b: 2 }).warn('nested');
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ['shown', 'abc'],
      ['nested', 'abc'],
    ]);
    expect(lines[0]?.a).toBe(1);
    expect(lines[1]?.b).toBe(2);
  });

  it('never creates the child when nothing is logged at an enabled level', () => {
    const { logger } = capture('warn');
    let children = 0;
    const counting = Object.assign(Object.create(logger), {
      child: (...args: Parameters<typeof logger.child>) => {
        children++;
        return logger.child(...args);
      },
    });
    const log = lazyChildLogger(counting, { reqId: 'x' }, {});
    log.info('dropped');
    log.debug('dropped');
    expect(children).toBe(0);
    log.error('kept');
    expect(children).toBe(1);
    expect(log.level).toBe('warn');
  });
});
