// `conduit keys`: the master key's status and its online rotation. Key material is printed only when the
// operator must place it somewhere (a new key for CONDUIT_MASTER_KEY); messages otherwise name keys by key id.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.ts';
import {
  decodeMasterKey,
  generateMasterKey,
  MasterKeyError,
  masterKey,
  resealUnderCurrentKey,
  rotateKeyFile,
} from '../security/index.ts';
import { listKeyChecks } from '../store/index.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { StartupFailure } from './startup.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function withRuntime(work: (runtime: Runtime) => Promise<void>): Promise<void> {
  let runtime: Runtime | undefined;
  try {
    runtime = await openRuntime(loadConfig());
    await work(runtime);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MasterKeyError || err instanceof StartupFailure) fail(err.message);
    throw err;
  } finally {
    await runtime?.close();
  }
}

function parseNewKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (value === 'generate') return generateMasterKey();
  try {
    return decodeMasterKey(value, '--new-key');
  } catch (err) {
    fail((err as Error).message);
  }
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Master key: status and online rotation (docs/security.md)');

  keys
    .command('status')
    .option('--json', 'print JSON')
    .description("The store's master keys (by key id) and the keys this configuration provides")
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(async ({ deps }) => {
        const ring = deps.box.keyring;
        const status = {
          source: ring.source,
          current: ring.current().id,
          readable: ring.keys().map((k) => k.id),
          store: await listKeyChecks(deps.store.db).then((rows) =>
            rows.map((r) => ({ keyId: r.keyId, createdAt: r.createdAt, retiredAt: r.retiredAt })),
          ),
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(status)}\n`);
          return;
        }
        process.stdout.write(
          `Current key ${status.current} from ${status.source}; readable: ${status.readable.join(', ')}\n`,
        );
        for (const r of status.store)
          process.stdout.write(
            `  store key ${r.keyId}  added ${r.createdAt}${r.retiredAt ? `  retired ${r.retiredAt}` : '  active'}\n`,
          );
      });
    });

  keys
    .command('rotate')
    .option('--new-key <key>', 'the new key: 64 hex chars, base64 of 32 bytes, or "generate" (the default)')
    .option('--batch-size <n>', 'secrets re-sealed per transaction', (v) => Number.parseInt(v, 10), 200)
    .description(
      'Re-seal every secret under a new master key while servers keep serving. Key file: writes the new key to ' +
        'master.key (the old one stays readable until done). CONDUIT_MASTER_KEY: prints the new key and the steps',
    )
    .action(async (opts: { newKey?: string; batchSize: number }) => {
      await withRuntime(async ({ deps }) => {
        const ring = deps.box.keyring;
        if (!ring.fromEnv) {
          const newKey = parseNewKey(opts.newKey) ?? (ring.keys().length > 1 ? undefined : generateMasterKey());
          const from = ring.current().id;
          const report = await rotateKeyFile(deps.store, deps.box, newKey, { batchSize: opts.batchSize });
          process.stdout.write(
            `Re-sealed ${report.resealed} secrets under master key ${report.toKeyId} (was ${report.fromKeyIds.join(', ') || from}).\n` +
              `${report.keyFile} now holds only the new key: back it up; the old key no longer opens anything.\n`,
          );
          return;
        }
        if (ring.keys().length > 1) {
          if (opts.newKey !== undefined) {
            fail(
              'CONDUIT_MASTER_KEY_PREVIOUS is set, so a rotation to CONDUIT_MASTER_KEY is in progress: run `conduit keys rotate` without --new-key to finish it',
            );
          }
          const { resealed, retired } = await resealUnderCurrentKey(deps.store, deps.box, {
            batchSize: opts.batchSize,
          });
          process.stdout.write(
            `Re-sealed ${resealed} secrets under master key ${ring.current().id}; retired ${retired.join(', ') || 'no key'}.\n` +
              'Now remove CONDUIT_MASTER_KEY_PREVIOUS from every server and restart them.\n',
          );
          return;
        }
        const next = masterKey(parseNewKey(opts.newKey) ?? generateMasterKey());
        if (next.id === ring.current().id) fail('the new key is the current CONDUIT_MASTER_KEY');
        process.stdout.write(
          [
            `New master key (key id ${next.id}): ${next.key.toString('base64')}`,
            `The current key (${ring.current().id}) comes from CONDUIT_MASTER_KEY, so nothing was changed. To rotate:`,
            `  1. On every server set CONDUIT_MASTER_KEY=<the new key> and CONDUIT_MASTER_KEY_PREVIOUS=<the current key>, and restart it.`,
            '  2. Run `npx conduit keys rotate` with those same two settings: it re-seals every secret under the new key.',
            '  3. Remove CONDUIT_MASTER_KEY_PREVIOUS from every server and restart them.',
            '',
          ].join('\n'),
        );
      });
    });
}
