// The `conduit` command: serve, sandbox, migrate, org and user administration.
import { Command } from 'commander';
import { type Config, ConfigError, describeConfig, launchedByNpm, loadConfig } from '../config/index.ts';
import { createOrganization, createUser, listOrganizations } from '../platform/index.ts';
import { registerSandboxCommand } from '../sandbox/index.ts';
import { findOrganizationById } from '../store/index.ts';
import './capabilities.ts';
import { registerBulkCommand } from './bulk.ts';
import { registerKeysCommand } from './keys.ts';
import { openRuntime } from './runtime.ts';
import { setSandboxInfo } from './sandboxInfo.ts';
import { closeOnSignals, startServer } from './serve.ts';
import { StartupFailure, storeProblem } from './startup.ts';

function configOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** Checks the data dir and the database before opening the store, so a problem is one clear line. */
async function checkStore(config: Config): Promise<void> {
  const problem = await storeProblem(config);
  if (problem) throw new StartupFailure(problem);
}

async function openRuntimeOrExit(config: Config) {
  await checkStore(config);
  return openRuntime(config);
}

export function buildProgram(): Command {
  const program = new Command('conduit').description(
    'Conduit: a self-hosted Cloud Elements-compatible integration hub',
  );

  program
    .command('serve')
    .description('Serve the API and console')
    .option('--sandbox', 'also start the ConnectWise simulator in-process and allow-list it')
    .addHelpText(
      'after',
      `\nEnvironment:\n${describeConfig()
        .map(
          (c) =>
            `  ${c.name.padEnd(30)} ${c.description}${c.default !== undefined ? ` (default ${JSON.stringify(c.default)})` : ''}`,
        )
        .join('\n')}`,
    )
    .action(async (opts: { sandbox?: boolean }) => {
      const config = configOrExit();
      await checkStore(config);
      let stopSandbox: (() => Promise<void>) | undefined;
      if (opts.sandbox) {
        const { startSandbox } = await import('../sandbox/index.ts');
        const sandbox = await startSandbox({ port: 0, httpsPort: null, quiet: true });
        const host = new URL(sandbox.httpUrl).host;
        config.CONDUIT_UPSTREAM_ALLOW = [config.CONDUIT_UPSTREAM_ALLOW, host].filter(Boolean).join(',');
        setSandboxInfo({ apiBase: sandbox.apiBase, ...sandbox.credentials });
        process.stdout.write(
          `ConnectWise sandbox: ${sandbox.apiBase} company=${sandbox.credentials.company} public.key=${sandbox.credentials.publicKey} clientId=${sandbox.credentials.clientId}\n`,
        );
        stopSandbox = sandbox.close;
      }
      const server = await startServer(config);
      closeOnSignals(server, {
        graceMs: config.CONDUIT_SHUTDOWN_GRACE_MS,
        watchParent: launchedByNpm(),
        alsoClose: stopSandbox,
      });
    });

  program
    .command('migrate')
    .description('Bring the store schema up to date (also done at every start)')
    .action(async () => {
      const runtime = await openRuntimeOrExit(configOrExit());
      process.stdout.write(`Store is up to date (${runtime.deps.store.dialect}).\n`);
      await runtime.close();
    });

  const org = program.command('org').description('Organizations');
  org
    .command('create')
    .requiredOption('--name <name>', 'organization name')
    .option('--email <email>', "first user's email")
    .option('--json', 'print JSON')
    .description('Create an organization and its first user; secrets are shown only now')
    .action(async (opts: { name: string; email?: string; json?: boolean }) => {
      const runtime = await openRuntimeOrExit(configOrExit());
      const created = await createOrganization(runtime.deps.store, { name: opts.name, email: opts.email });
      await runtime.close();
      if (opts.json) process.stdout.write(`${JSON.stringify(created)}\n`);
      else {
        process.stdout.write(
          `Organization ${created.organizationId} created.\n  Organization secret: ${created.organizationSecret}\n  User ${created.userId} secret: ${created.userSecret}\n  These secrets are not shown again.\n`,
        );
      }
    });
  org
    .command('list')
    .option('--json', 'print JSON')
    .description('List organizations (never their secrets)')
    .action(async (opts: { json?: boolean }) => {
      const runtime = await openRuntimeOrExit(configOrExit());
      const orgs = await listOrganizations(runtime.deps.store.db);
      await runtime.close();
      if (opts.json) process.stdout.write(`${JSON.stringify(orgs)}\n`);
      else for (const o of orgs) process.stdout.write(`${o.id}\t${o.name}\t${o.createdAt}\n`);
    });

  program
    .command('user')
    .description('Users')
    .command('create')
    .requiredOption('--org <id>', 'organization id')
    .option('--email <email>', 'email')
    .option('--json', 'print JSON')
    .description('Create a user in an organization; the secret is shown only now')
    .action(async (opts: { org: string; email?: string; json?: boolean }) => {
      const runtime = await openRuntimeOrExit(configOrExit());
      const orgRow = await findOrganizationById(runtime.deps.store.db, Number(opts.org));
      if (!orgRow) {
        await runtime.close();
        process.stderr.write(`Organization ${opts.org} does not exist\n`);
        process.exit(1);
      }
      const { user, userSecret } = await createUser(runtime.deps.store, {
        organizationId: orgRow.id,
        email: opts.email,
      });
      await runtime.close();
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ organizationId: orgRow.id, userId: user.id, userSecret })}\n`);
      else
        process.stdout.write(`User ${user.id} created in organization ${orgRow.id}.\n  User secret: ${userSecret}\n`);
    });

  registerSandboxCommand(program);
  registerKeysCommand(program);
  registerBulkCommand(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // A start-up problem an operator can fix is its one line; anything else is a bug and keeps its stack.
    if (!(err instanceof StartupFailure)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
