/**
 * Transform engine micro-bench (issue 11): one 100-record page of ConnectWise contacts (fetched once from the
 * simulator) mapped by a 10-field transformation, with and without a 5-line script, against the floor of
 * JSON.parse + JSON.stringify of the same page. In-process, no HTTP: this isolates the engine's own cost.
 * `npm run bench -- transform-engine`
 */
import { pathToFileURL } from 'node:url';
import { startSandbox } from '../src/sandbox/index.ts';
import { compileTransformation, type Transformation } from '../src/transform/index.ts';

const RUN_MS = 4000;

const fields: Transformation['fields'] = [
  { path: 'id', vendorPath: 'id', type: 'string' },
  { path: 'firstName', vendorPath: 'firstName' },
  { path: 'lastName', vendorPath: 'lastName' },
  { path: 'title', vendorPath: 'title' },
  { path: 'email', vendorPath: "communicationItems[?(@.communicationType=='Email')].value" },
  { path: 'phone', vendorPath: "communicationItems[?(@.communicationType=='Phone')].value" },
  { path: 'company.id', vendorPath: 'company.id' },
  { path: 'company.name', vendorPath: 'company.name' },
  { path: 'address.city', vendorPath: 'city' },
  { path: 'modified', vendorPath: '_info.lastUpdated', type: 'date' },
];

const SCRIPT = [
  'var o = transformedObject;',
  "o.fullName = (originalObject.firstName || '') + ' ' + (originalObject.lastName || '');",
  'o.emailDomain = o.email ? o.email.split("@")[1] : null;',
  'o.inactive = originalObject.inactiveFlag === true;',
  'done(o);',
].join('\n');

async function fetchPage(): Promise<string> {
  const sb = await startSandbox({ quiet: true, contacts: 300, companies: 20, tickets: 10, seed: 1 });
  try {
    const { company, publicKey, privateKey, clientId } = sb.credentials;
    const res = await fetch(`${sb.httpUrl}/v4_6_release/apis/3.0/company/contacts?pageSize=100`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${company}+${publicKey}:${privateKey}`).toString('base64')}`,
        clientId,
      },
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`simulator answered ${res.status}: ${text}`);
    return text;
  } finally {
    await sb.close();
  }
}

/**
 * Pages per second of each variant, measured in interleaved 200 ms slices: the machine is shared, so load changes
 * during the run hit every variant alike and the ratios stay meaningful.
 */
async function interleaved(ops: Array<() => Promise<void> | void>): Promise<number[]> {
  for (const op of ops) for (let i = 0; i < 30; i++) await op(); // warm-up (JIT, sandbox start)
  const counts = ops.map(() => 0);
  const times = ops.map(() => 0);
  const slices = Math.max(1, Math.floor(RUN_MS / 200));
  for (let s = 0; s < slices; s++) {
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k] as () => Promise<void> | void;
      const started = performance.now();
      while (performance.now() - started < 200) {
        await op();
        counts[k] = (counts[k] as number) + 1;
      }
      times[k] = (times[k] as number) + (performance.now() - started);
    }
  }
  return counts.map((n, k) => n / ((times[k] as number) / 1000));
}

export async function run(): Promise<void> {
  const page = await fetchPage();
  const records = JSON.parse(page) as unknown[];
  const plain = await compileTransformation(undefined, { level: 'organization', vendorName: 'contacts', fields });
  const scripted = await compileTransformation(undefined, {
    level: 'organization',
    vendorName: 'contacts',
    fields,
    script: { body: SCRIPT },
  });
  const check = await scripted.toCommon(records);
  if (!check.every((m) => m.ok)) throw new Error(`script failed: ${JSON.stringify(check.find((m) => !m.ok))}`);

  const [floor = 0, mapped = 0, withScript = 0] = await interleaved([
    () => {
      JSON.stringify(JSON.parse(page));
    },
    async () => {
      const out = await plain.toCommon(JSON.parse(page) as unknown[]);
      JSON.stringify(out.map((m) => (m.ok ? m.value : null)));
    },
    async () => {
      const out = await scripted.toCommon(JSON.parse(page) as unknown[]);
      JSON.stringify(out.map((m) => (m.ok ? m.value : null)));
    },
  ]);
  plain.dispose();
  scripted.dispose();
  console.log(`page: ${records.length} contacts, ${(page.length / 1024).toFixed(0)} KiB`);
  console.log(`parse+stringify floor : ${floor.toFixed(0)} pages/s`);
  console.log(`10-field mapping      : ${mapped.toFixed(0)} pages/s  (${(mapped / floor).toFixed(2)}× floor)`);
  console.log(`mapping + 5-line script: ${withScript.toFixed(0)} pages/s  (${(withScript / floor).toFixed(2)}× floor)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
