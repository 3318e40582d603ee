// `conduit instances list|show|disable|enable|delete --org <id>`: an operator's view of one organization's
// instances, straight from the store (a running server sees a change within its 2 s instance cache).
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.ts';
import { installEvents } from '../events/index.ts';
import { findOwnInstance, instanceView, MASK, removeInstance, setInstanceEnabled } from '../platform/index.ts';
import { MasterKeyError } from '../security/index.ts';
import { findOrganizationById, type InstanceRecord, listInstances } from '../store/index.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { StartupFailure, storeProblem } from './startup.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Opens the store like the server does (one clear line on a bad setting, store or key), runs, closes. */
export async function withOperatorRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  let runtime: Runtime | undefined;
  try {
    const config = loadConfig();
    const problem = await storeProblem(config);
    if (problem) fail(problem);
    runtime = await openRuntime(config);
    return await work(runtime);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MasterKeyError || err instanceof StartupFailure) fail(err.message);
    throw err;
  } finally {
    await runtime?.close();
  }
}

/** Parses --org/--instance values: positive integers only, else one line naming the option. */
export function positiveId(option: string): (value: string) => number {
  return (value) => {
    if (!/^[1-9][0-9]{0,15}$/.test(value))
      fail(`${option} must be a positive integer id; got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

async function organizationOrExit(runtime: Runtime, org: number): Promise<void> {
  if (!(await findOrganizationById(runtime.deps.store.db, org))) fail(`Organization ${org} does not exist`);
}

async function instanceOrExit(runtime: Runtime, org: number, id: number): Promise<InstanceRecord> {
  await organizationOrExit(runtime, org);
  const found = await findOwnInstance(runtime.deps, org, id);
  if (!found.ok) fail(`Instance ${id} does not exist in organization ${org}`);
  return found.value;
}

const summary = (r: InstanceRecord) => ({
  id: r.id,
  name: r.name,
  elementKey: r.elementKey,
  disabled: r.disabled,
  valid: r.valid,
  eventsEnabled: r.eventsEnabled,
  traceLoggingEnabled: r.traceLoggingEnabled,
  tags: r.tags,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const line = (r: InstanceRecord) =>
  `${r.id}\t${r.name}\t${r.elementKey}\t${r.disabled ? 'disabled' : 'enabled'}\t${r.createdAt}`;

const print = (json: boolean | undefined, value: unknown, text: string) =>
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);

export function registerInstancesCommand(program: Command): void {
  const instances = program
    .command('instances')
    .description("An organization's element instances: list, show, disable, enable, delete");
  const org = (c: Command) =>
    c.requiredOption('--org <id>', 'organization id', positiveId('--org')).option('--json', 'print JSON');

  org(instances.command('list').description("List the organization's instances")).action(
    async (opts: { org: number; json?: boolean }) => {
      await withOperatorRuntime(async (runtime) => {
        await organizationOrExit(runtime, opts.org);
        const records = await listInstances(runtime.deps.store.db, { organizationId: opts.org });
        if (opts.json) print(true, records.map(summary), '');
        else for (const r of records) process.stdout.write(`${line(r)}\n`);
      });
    },
  );

  org(
    instances
      .command('show')
      .argument('<id>', 'instance id', positiveId('<id>'))
      .description('Show one instance: its settings and configuration (secrets masked)'),
  ).action(async (id: number, opts: { org: number; json?: boolean }) => {
    await withOperatorRuntime(async (runtime) => {
      const record = await instanceOrExit(runtime, opts.org, id);
      const view = await instanceView(runtime.deps, record);
      const shown = { ...summary(record), token: MASK, configuration: view.configuration };
      const config = Object.entries(view.configuration)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n');
      print(opts.json, shown, `${line(record)}\ntoken: ${MASK}\nconfiguration:\n${config}`);
    });
  });

  for (const enabled of [false, true]) {
    org(
      instances
        .command(enabled ? 'enable' : 'disable')
        .argument('<id>', 'instance id', positiveId('<id>'))
        .description(
          enabled
            ? 'Enable an instance again: its token works and its events resume'
            : 'Disable an instance: its token is refused and its pollers stop, nothing is deleted',
        ),
    ).action(async (id: number, opts: { org: number; json?: boolean }) => {
      installEvents(); // event callbacks at the vendor follow the instance, as through the API
      await withOperatorRuntime(async (runtime) => {
        const record = await instanceOrExit(runtime, opts.org, id);
        const updated = await setInstanceEnabled(runtime.deps, record, enabled);
        print(opts.json, summary(updated), `Instance ${id} ${enabled ? 'enabled' : 'disabled'}.`);
      });
    });
  }

  org(
    instances
      .command('delete')
      .argument('<id>', 'instance id', positiveId('<id>'))
      .description('Delete an instance with its configuration, events and bulk jobs (vendor callbacks removed)'),
  ).action(async (id: number, opts: { org: number; json?: boolean }) => {
    installEvents();
    await withOperatorRuntime(async (runtime) => {
      const record = await instanceOrExit(runtime, opts.org, id);
      await removeInstance(runtime.deps, record);
      print(opts.json, { id, deleted: true }, `Instance ${id} deleted.`);
    });
  });
}
