/**
 * Sandbox scale figures (issue 3): a page of 1000 contacts and a `lastUpdated > [x]` query,
 * on a 1,000,000-contact set against the same requests on a 10,000-contact set. Loopback only.
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { SEED_EPOCH } from '../src/sandbox/data/generate.ts';
import { type RunningSandbox, startSandbox } from '../src/sandbox/index.ts';

interface Figures {
  contacts: number;
  startMs: number;
  pageReqPerSec: number;
  pageMs: number;
  lastUpdatedMs: number;
  lastUpdatedRows: number;
  countMs: number;
}

const PAGE_REQUESTS = 60;
const CONDITION_REQUESTS = 60;

function isoNoMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function measure(contacts: number): Promise<Figures> {
  const t0 = performance.now();
  const sb: RunningSandbox = await startSandbox({ quiet: true, contacts, companies: 500, tickets: 100, seed: 1 });
  const startMs = performance.now() - t0;
  const url = new URL(sb.httpUrl);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  const { company, publicKey, privateKey, clientId } = sb.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${company}+${publicKey}:${privateKey}`).toString('base64')}`,
    clientId,
  };
  // The client only counts records (`"_info":{"lastUpdated"` once per record) so that parsing
  // JSON in this same process does not inflate the server's figures.
  const get = async (path: string): Promise<number> => {
    const res = await pool.request({ method: 'GET', path: `/v4_6_release/apis/3.0${path}`, headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} for ${path}: ${text}`);
    return text.split('"_info":{"lastUpdated"').length - 1;
  };
  try {
    const pages = Math.floor(contacts / 1000);
    for (let i = 0; i < 10; i++) await get(`/company/contacts?pageSize=1000&page=${i + 1}`); // warm-up (JIT)
    const p0 = performance.now();
    for (let i = 0; i < PAGE_REQUESTS; i++) {
      // `run` makes every request distinct: this measures finding and rendering a page, not the page cache.
      const rows = await get(`/company/contacts?pageSize=1000&page=${1 + ((i * 7919) % pages)}&run=${i}`);
      if (rows !== 1000) throw new Error(`page ${i} had ${rows} rows`);
    }
    const pageSecs = (performance.now() - p0) / 1000;
    // The same request on both sets: records changed in the last day before the seed epoch.
    const conditions = encodeURIComponent(`lastUpdated > [${isoNoMs(SEED_EPOCH - 86_400_000)}]`);
    let rowsSeen = 0;
    await get(`/company/contacts?conditions=${conditions}&pageSize=1000`);
    const c0 = performance.now();
    for (let i = 0; i < CONDITION_REQUESTS; i++) {
      rowsSeen = await get(`/company/contacts?conditions=${conditions}&pageSize=1000&run=${i}`);
    }
    const condMs = (performance.now() - c0) / CONDITION_REQUESTS;
    // The same condition through /count isolates the index from rendering the matches.
    const k0 = performance.now();
    for (let i = 0; i < CONDITION_REQUESTS; i++) {
      await pool
        .request({
          method: 'GET',
          path: `/v4_6_release/apis/3.0/company/contacts/count?conditions=${conditions}`,
          headers,
        })
        .then((r) => r.body.dump());
    }
    const countMs = (performance.now() - k0) / CONDITION_REQUESTS;
    return {
      contacts,
      startMs,
      pageReqPerSec: PAGE_REQUESTS / pageSecs,
      pageMs: (pageSecs * 1000) / PAGE_REQUESTS,
      lastUpdatedMs: condMs,
      lastUpdatedRows: rowsSeen,
      countMs,
    };
  } finally {
    await pool.close();
    await sb.close();
  }
}

export async function run(): Promise<void> {
  const small = await measure(10_000);
  const large = await measure(1_000_000);
  const row = (f: Figures) =>
    `  ${String(f.contacts).padStart(9)} contacts: start ${f.startMs.toFixed(0)} ms; page of 1000: ${f.pageReqPerSec.toFixed(1)} req/s ` +
    `(${f.pageMs.toFixed(1)} ms/req); lastUpdated > [x]: ${f.lastUpdatedMs.toFixed(2)} ms/req (${f.lastUpdatedRows} rows), ` +
    `its /count ${f.countMs.toFixed(2)} ms/req`;
  console.log('sandbox (ConnectWise simulator), loopback HTTP, sequential keep-alive requests');
  console.log(row(small));
  console.log(row(large));
  console.log(
    `  ratio 1M/10k: page req/s ${(large.pageReqPerSec / small.pageReqPerSec).toFixed(2)}x, ` +
      `lastUpdated latency ${(large.lastUpdatedMs / small.lastUpdatedMs).toFixed(2)}x ` +
      `(rows ${large.lastUpdatedRows} vs ${small.lastUpdatedRows}), /count ${(large.countMs / small.countMs).toFixed(2)}x ` +
      '(a full scan would grow ~100x)',
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
