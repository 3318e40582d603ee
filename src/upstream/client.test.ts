import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitUrl } from './client.ts';

describe('splitUrl', () => {
  it('matches the URL parser on the URLs the hub builds', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('http://127.0.0.1:8090', 'https://API-NA.myconnectwise.net', 'https://cw.example.com:443'),
        fc.array(segment, { maxLength: 5 }),
        fc.option(fc.string(), { nil: undefined }),
        (base, segments, conditions) => {
          const url = `${base}/v4_6_release/apis/3.0/${segments.join('/')}${conditions === undefined ? '' : `?conditions=${encodeURIComponent(conditions)}&page=1`}`;
          const parsed = new URL(url);
          expect(splitUrl(url)).toEqual({ origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
        },
      ),
    );
  });

  it('hands unusual forms to the URL parser', () => {
    expect(splitUrl('https://user:pw@cw.example.com/x?y=1')).toEqual({
      origin: 'https://cw.example.com',
      path: '/x?y=1',
    });
    expect(splitUrl('https://cw.example.com')).toEqual({ origin: 'https://cw.example.com', path: '/' });
    expect(splitUrl('https://cw.example.com?a=1')).toEqual({ origin: 'https://cw.example.com', path: '/?a=1' });
  });
});
