// The `conduit` command: serve, sandbox, migrate, org and user administration.
// Only commander and light modules load up front, so `conduit --help` and `--version` are quick: a command imports
// what it needs in its action, and the commands in `deferred` register for real only when they are the one asked for.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Config } from '../config/index.ts';
import { registerBulkCommand } from './bulk.ts';

/** Loads the settings or ends with one line per bad setting (exit code 1). */
async function configOrExit(): Promise<Config> {
  const { ConfigError, loadConfig } = await import('../config/index.ts');
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Checks the data dir and the database before opening the store, so a problem is one clear line. */
async function checkStore(config: Config): Promise<void> {
  const { StartupFailure, storeProblem } = await import('./startup.ts');
  const problem = await storeProblem(config);
  if (problem) throw new StartupFailure(problem);
}

async function openRuntimeOrExit(config: Config | Promise<Config>) {
  const settings = await config;
  await checkStore(settings);
  const { openRuntime } = await import('./runtime.ts');
  return openRuntime(settings);
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** `serve --help`'s list of settings, generated from the configuration schema (loaded only for `serve`). */
let settingsHelp = '';

async function loadSettingsHelp(): Promise<void> {
  const { describeConfig } = await import('../config/index.ts');
  settingsHelp = `\nSettings (environment variables, or KEY=value lines in ./.env; the environment wins):\n${describeConfig()
    .map((c) => {
      const facts = [
        c.expected,
        c.default === undefined ? 'not set by default' : `default ${c.default === '' ? 'empty' : String(c.default)}`,
      ];
      return `  ${c.name}  (${facts.join('; ')})\n      ${c.description}`;
    })
    .join('\n')}\n`;
}

/** Commands whose modules are heavy: listed by name for `conduit --help`, loaded only when asked for. */
const deferred: Record<string, { summary: string; register: () => Promise<(program: Command) => void> }> = {
  sandbox: {
    summary:
      'Run a self-contained ConnectWise Manage (PSA) REST API simulator: try Conduit without a ConnectWise account, ' +
      'or point any ConnectWise client at it. Control API under /_sandbox/.',
    register: async () => (await import('../sandbox/index.ts')).registerSandboxCommand,
  },
  keys: {
    summary: 'Master key: status and online rotation (docs/security.md)',
    register: async () => (await import('./keys.ts')).registerKeysCommand,
  },
  doctor: {
    summary: 'Check store, schema, master key, data dir permissions, outbound policy, console (exit 1 on a failure)',
    register: async () => (await import('./doctor.ts')).registerDoctorCommand,
  },
  instances: {
    summary: "An organization's element instances: list, show, disable, enable, delete",
    register: async () => (await import('./instances.ts')).registerInstancesCommand,
  },
  events: {
    summary: "An instance's event log: conduit events tail --instance <id>",
    register: async () => (await import('./eventsTail.ts')).registerEventsCommand,
  },
  backup: {
    summary: 'Copy the SQLite store consistently while servers run (PostgreSQL: pg_dump)',
    register: async () => (await import('./backup.ts')).registerBackupCommand,
  },
};

/** The command asked for: the first word of the command line (`conduit help serve` asks for serve). */
export function requestedCommand(argv: string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

export async function buildProgram(target?: string): Promise<Command> {
  const program = new Command('conduit')
    .description('Conduit: a self-hosted Cloud Elements-compatible integration hub')
    .version(version, '-V, --version', 'print the version');

  program
    .command('serve')
    .description('Serve the API and console')
    .option('--sandbox', 'also start the ConnectWise simulator in-process and allow-list it')
    .addHelpText('after', () => settingsHelp)
    .action(async (opts: { sandbox?: boolean }) => {
      const config = await configOrExit();
      await checkStore(config);
      await import('./capabilities.ts');
      const { closeOnSignals, startServer } = await import('./serve.ts');
      const { launchedByNpm } = await import('../config/index.ts');
      let stopSandbox: (() => Promise<void>) | undefined;
      if (opts.sandbox) {
        const { startSandbox } = await import('../sandbox/index.ts');
        const { setSandboxInfo } = await import('./sandboxInfo.ts');
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
      const { createOrganization } = await import('../platform/index.ts');
      const created = await createOrganization(
        runtime.deps.store,
        { name: opts.name, email: opts.email },
        runtime.deps.box,
      );
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
      const { listOrganizations } = await import('../platform/index.ts');
      const orgs = await listOrganizations(runtime.deps.store.db);
      await runtime.close();
      if (opts.json) process.stdout.write(`${JSON.stringify(orgs)}\n`);
      else for (const o of orgs) process.stdout.write(`${o.id}\t${o.name}\t${o.createdAt}\n`);
    });

  const user = program.command('user').description('Users');
  user
    .command('create')
    .requiredOption('--org <id>', 'organization id')
    .option('--email <email>', 'email')
    .option('--json', 'print JSON')
    .description('Create a user in an organization; the secret is shown only now')
    .action(async (opts: { org: string; email?: string; json?: boolean }) => {
      const runtime = await openRuntimeOrExit(configOrExit());
      const { findOrganizationById } = await import('../store/index.ts');
      const { createUser } = await import('../platform/index.ts');
      const orgRow = await findOrganizationById(runtime.deps.store.db, Number(opts.org));
      if (!orgRow) {
        await runtime.close();
        process.stderr.write(`Organization ${opts.org} does not exist\n`);
        process.exit(1);
      }
      const { user, userSecret } = await createUser(
        runtime.deps.store,
        { organizationId: orgRow.id, email: opts.email },
        runtime.deps.box,
      );
      await runtime.close();
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ organizationId: orgRow.id, userId: user.id, userSecret })}\n`);
      else
        process.stdout.write(`User ${user.id} created in organization ${orgRow.id}.\n  User secret: ${userSecret}\n`);
    });

  // Their subcommands of org and user load the platform module: only for `conduit org …` and `conduit user …`.
  if (target === 'org' || target === 'user') {
    const { registerAccountCommands } = await import('./users.ts');
    registerAccountCommands(org, user, () => openRuntimeOrExit(configOrExit()));
  }
  for (const [name, command] of Object.entries(deferred)) {
    if (name === target) (await command.register())(program);
    else program.command(name).description(command.summary);
  }
  registerBulkCommand(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    const target = requestedCommand(argv);
    if (target) {
      // ./.env (or CONDUIT_ENV_FILE) before any command reads its settings.
      const [{ loadEnvFile }, { ConfigError }] = await Promise.all([
        import('../config/envFile.ts'),
        import('../config/index.ts'),
      ]);
      try {
        loadEnvFile();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      }
    }
    if (target === 'serve') await loadSettingsHelp();
    await (await buildProgram(target)).parseAsync(argv);
  } catch (err) {
    // A start-up problem an operator can fix is its one line; anything else is a bug and keeps its stack.
    const { StartupFailure } = await import('./startup.ts');
    if (!(err instanceof StartupFailure)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
