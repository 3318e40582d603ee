// Start-up of the built server, as an operator runs it: the production layout (bin/, dist/, node_modules; no src/,
// so bin/conduit.js runs dist/ without a freshness check) in a scratch copy, built now from the current sources.
// Compared in the same run with a bare Fastify hello-world started the same way (node <file>, first /readyz 200):
//   cold start to the first /readyz 200 (an empty store: migrations and the first organization; and a restart on it),
//   `conduit --help` beside `node -e 0`, idle RSS (console and pollers idle), processes (no helper children),
//   and which imports cost the most. Goals (issue 15): start ≤ 1 s and ≤ 2× bare, --help ≤ 300 ms, RSS ≤ 120 MB.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 5);
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system, ms) a process has used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) / 1024;
}

/** Processes below `pid` (a transpiler's service process would show here). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

interface Started {
  child: ChildProcess;
  ms: number;
  cpu: number;
}

/** Spawns `node args…` and polls GET /readyz every 5 ms until it answers 200. */
async function startUntilReady(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  port: number,
): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const deadline = started + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, ms: performance.now() - started, cpu: cpuMs(child.pid as number) };
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  throw new Error(`no /readyz 200 within 60 s: ${stderr}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const f0 = (n: number) => n.toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** The production layout in a scratch directory: dist/ built from the current sources, then src/ left out. */
function productionCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-startup-'));
  for (const p of ['bin', 'scripts', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(root, p), join(dir, p), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--server'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  if (existsSync(join(root, 'dist/web'))) cpSync(join(root, 'dist/web'), join(dir, 'dist/web'), { recursive: true });
  rmSync(join(dir, 'src'), { recursive: true });
  rmSync(join(dir, 'scripts'), { recursive: true });
  return dir;
}

const BARE = `import Fastify from 'fastify';
const app = Fastify();
app.get('/readyz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

/** Each import's own cost, in the order the server loads them (later ones reuse what earlier ones loaded). */
const IMPORTS = `const out = [];
for (const m of process.argv.slice(1)) {
  const t = performance.now();
  await import(m.startsWith('./') ? new URL(m, 'file://' + process.cwd() + '/').href : m);
  out.push([m, performance.now() - t]);
}
console.log(JSON.stringify(out));
`;

export async function run(): Promise<void> {
  const t0 = performance.now();
  const dir = productionCopy();
  console.log(`built the production layout in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  writeFileSync(join(dir, 'bare.mjs'), BARE);
  const stores = join(dir, 'stores');
  mkdirSync(stores);
  try {
    const bare: Started[] = [];
    const first: Started[] = [];
    const restart: Started[] = [];
    let idle = { conduit: 0, bare: 0, processes: -1 };
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so a change in the machine's load touches both sides alike.
      let port = await freePort();
      const b = await startUntilReady(['bare.mjs'], { PORT: String(port) }, dir, port);
      bare.push(b);
      if (i === 0) {
        await new Promise((r) => setTimeout(r, 2000));
        idle.bare = rssMb(b.child.pid as number);
      }
      await stop(b.child);
      const env = {
        CONDUIT_DATA_DIR: join(stores, `s${i}`),
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      };
      port = await freePort();
      const c = await startUntilReady(['bin/conduit.js', 'serve'], { ...env, PORT: String(port) }, dir, port);
      first.push(c);
      await stop(c.child);
      port = await freePort();
      const r = await startUntilReady(['bin/conduit.js', 'serve'], { ...env, PORT: String(port) }, dir, port);
      restart.push(r);
      if (i === 0) {
        // Idle: the console unused, no instances, so pollers and the dispatcher only tick.
        await new Promise((res) => setTimeout(res, 3000));
        idle = {
          ...idle,
          conduit: rssMb(r.child.pid as number),
          processes: 1 + descendants(r.child.pid as number).length,
        };
      }
      await stop(r.child);
    }
    const help: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [args, into] of [
        [['bin/conduit.js', '--help'], help],
        [['-e', '0'], node],
      ] as const) {
        const t = performance.now();
        const res = spawnSync(process.execPath, args, { cwd: dir, stdio: 'ignore' });
        if (res.status !== 0) throw new Error(`${args.join(' ')} exited ${res.status}`);
        into.push(performance.now() - t);
      }
    }
    const ms = (xs: Started[]) => median(xs.map((x) => x.ms));
    const cpu = (xs: Started[]) => median(xs.map((x) => x.cpu));
    console.log(`median of ${RUNS} runs, node ${process.version}; wall ms (CPU ms of the process)`);
    console.log(`  bare Fastify to /readyz 200             ${f0(ms(bare))} ms (${f0(cpu(bare))})`);
    console.log(
      `  conduit serve, empty store (migrations) ${f0(ms(first))} ms (${f0(cpu(first))})  ${ratio(ms(first), ms(bare))} bare   goal ≤ 1000 ms and ≤ 2×`,
    );
    console.log(
      `  conduit serve, restart                  ${f0(ms(restart))} ms (${f0(cpu(restart))})  ${ratio(ms(restart), ms(bare))} bare   goal ≤ 1000 ms and ≤ 2×`,
    );
    console.log(
      `  conduit --help                          ${f0(median(help))} ms   node -e 0: ${f0(median(node))} ms  ${ratio(median(help), median(node))}   goal ≤ 300 ms`,
    );
    console.log(
      `  idle RSS                                ${f0(idle.conduit)} MB   bare Fastify ${f0(idle.bare)} MB   goal ≤ 120 MB`,
    );
    console.log(`  processes                               ${idle.processes}   goal 1`);

    const imports = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        IMPORTS,
        'fastify',
        '@sinclair/typebox',
        '@sinclair/typebox/value',
        'kysely',
        'better-sqlite3',
        'pg',
        'pino',
        'undici',
        'ajv',
        'prom-client',
        'quickjs-emscripten',
        '@fastify/static',
        '@fastify/multipart',
        './dist/config/index.js',
        './dist/store/index.js',
        './dist/platform/index.js',
        './dist/http/index.js',
        './dist/cli/capabilities.js',
        './dist/cli/index.js',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    if (imports.status === 0) {
      const costs = (JSON.parse(imports.stdout) as Array<[string, number]>).sort((a, b) => b[1] - a[1]);
      const total = costs.reduce((s, [, t]) => s + t, 0);
      console.log(
        `  imports of serve, costliest first (each after those listed before it in load order; ${f0(total)} ms in all):`,
      );
      console.log(`    ${costs.map(([m, t]) => `${m} ${f0(t)}`).join(', ')}`);
    } else console.log(`  (import costs not measured: ${imports.stderr.split('\n')[0]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
