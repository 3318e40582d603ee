import type { IncomingMessage } from 'node:http';
import type { Reply } from './api.ts';
import { type DataSizes, DEFAULT_SIZES } from './data/generate.ts';
import { parseFaultSettings } from './faults.ts';
import { ApiError } from './http/errors.ts';
import { parseJsonBody, readBody } from './http/request.ts';
import { DEFAULT_FAULTS } from './options.ts';
import { saveDatabase } from './persist.ts';
import type { SandboxState } from './state.ts';

/** Key id served at /_sandbox/callbacks/keys/{id}; one signing key per simulator. */
export const CALLBACK_KEY_ID = '1';

function bad(message: string): ApiError {
  return new ApiError(400, { code: 'SandboxControl', message });
}

async function body(req: IncomingMessage): Promise<unknown> {
  return parseJsonBody(await readBody(req));
}

const INDEX = {
  'POST /_sandbox/reset': 'regenerate the data set (body: {seed?, sizes?}); clears stats, faults, tokens, deliveries',
  'GET /_sandbox/stats': 'request counts per method+path and per route, plus the last requests',
  'DELETE /_sandbox/stats': 'reset the counters (also POST /_sandbox/stats/reset)',
  'GET /_sandbox/faults': 'current fault settings',
  'PUT /_sandbox/faults': 'replace fault settings (omitted = off)',
  'PATCH /_sandbox/faults': 'change some fault settings',
  'GET /_sandbox/clock': 'simulator time and offset',
  'POST /_sandbox/clock': 'set the offset: {offsetSeconds} or {now: ISO date}',
  'GET /_sandbox/callbacks/deliveries': 'callback POSTs made (with status/error per attempt)',
  'DELETE /_sandbox/callbacks/deliveries': 'forget deliveries',
  'GET /_sandbox/callbacks/keys/1': 'the callback signing key ({signing_key}); this is Metadata.key_url',
  'POST /_sandbox/persist': 'write the data set to the persistence file now',
  'GET /_sandbox/health': '{ok: true}',
};

/** The simulator's own control API under /_sandbox/ (outside apis/3.0, no auth). */
export async function handleControl(state: SandboxState, req: IncomingMessage, path: string): Promise<Reply> {
  const method = (req.method ?? 'GET').toUpperCase();
  const route = `${method} ${path.replace(/\/+$/, '') || '/_sandbox'}`;
  switch (route) {
    case 'GET /_sandbox':
      return { status: 200, body: INDEX };
    case 'GET /_sandbox/health':
      return { status: 200, body: { ok: true } };
    case 'POST /_sandbox/reset': {
      const b = ((await body(req)) ?? {}) as { seed?: unknown; sizes?: unknown };
      if (b.seed !== undefined && !Number.isInteger(b.seed)) throw bad('seed must be an integer');
      const sizes: Partial<DataSizes> = {};
      if (b.sizes !== undefined) {
        if (!b.sizes || typeof b.sizes !== 'object') throw bad('sizes must be an object');
        for (const [k, v] of Object.entries(b.sizes)) {
          if (!(k in DEFAULT_SIZES)) throw bad(`unknown size '${k}' (known: ${Object.keys(DEFAULT_SIZES).join(', ')})`);
          if (!Number.isInteger(v) || (v as number) < 0) throw bad(`${k} must be a non-negative integer`);
          sizes[k as keyof DataSizes] = v as number;
        }
      }
      state.reset({ ...(b.seed !== undefined ? { seed: b.seed as number } : {}), sizes });
      return { status: 200, body: { ok: true, seed: state.config.seed, sizes: state.config.sizes } };
    }
    case 'GET /_sandbox/stats':
      return { status: 200, body: state.stats.snapshot() };
    case 'DELETE /_sandbox/stats':
    case 'POST /_sandbox/stats/reset':
      state.stats.reset();
      return { status: 204 };
    case 'GET /_sandbox/faults':
      return { status: 200, body: state.faults.settings };
    case 'PUT /_sandbox/faults':
    case 'PATCH /_sandbox/faults': {
      const base = method === 'PUT' ? DEFAULT_FAULTS : state.faults.settings;
      const parsed = parseFaultSettings((await body(req)) ?? {}, base);
      if (typeof parsed === 'string') throw bad(parsed);
      state.faults.set(parsed);
      return { status: 200, body: state.faults.settings };
    }
    case 'GET /_sandbox/clock':
      return { status: 200, body: clockBody(state) };
    case 'POST /_sandbox/clock': {
      const b = ((await body(req)) ?? {}) as { offsetSeconds?: unknown; now?: unknown };
      let offset: number;
      if (typeof b.now === 'string' && Number.isFinite(Date.parse(b.now)))
        offset = (Date.parse(b.now) - Date.now()) / 1000;
      else if (typeof b.offsetSeconds === 'number' && Number.isFinite(b.offsetSeconds)) offset = b.offsetSeconds;
      else throw bad('send {"offsetSeconds": n} or {"now": "<ISO date>"}');
      state.faults.set({ ...state.faults.settings, clockOffsetSeconds: offset });
      return { status: 200, body: clockBody(state) };
    }
    case 'GET /_sandbox/callbacks/deliveries':
      return { status: 200, body: state.callbacks.deliveries };
    case 'DELETE /_sandbox/callbacks/deliveries':
      state.callbacks.clear();
      return { status: 204 };
    case `GET /_sandbox/callbacks/keys/${CALLBACK_KEY_ID}`:
      return { status: 200, body: { signing_key: state.config.signingKey } };
    case 'POST /_sandbox/persist':
      if (!state.config.persistFile) throw bad('no persistence file configured (--persist-file)');
      saveDatabase(state.db, state.config.persistFile);
      return { status: 200, body: { ok: true, file: state.config.persistFile } };
    default:
      return {
        status: 404,
        body: { code: 'SandboxControl', message: `Unknown control endpoint ${route}.`, endpoints: INDEX },
      };
  }
}

function clockBody(state: SandboxState): { now: string; offsetSeconds: number } {
  return { now: new Date(state.clock.now()).toISOString(), offsetSeconds: state.clock.offsetSeconds };
}
