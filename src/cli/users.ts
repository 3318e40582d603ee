// `conduit user set-password | rotate-secret` and `conduit org rotate-secret`: sign-in by password and recovery
// of lost secrets. A new secret is printed once; the password is read from stdin or a prompt that does not echo,
// never from the command line (where shell history and `ps` would keep it).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { AppError, Result } from '../errors/index.ts';
import { rotateOrganizationSecret, rotateUserSecret, setPassword } from '../platform/index.ts';
import type { Runtime } from './runtime.ts';

type Open = () => Promise<Runtime>;

function exitWith(error: AppError): never {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

async function settle<T>(runtime: Runtime, result: Promise<Result<T>>): Promise<T> {
  const r = await result;
  await runtime.close();
  if (!r.ok) exitWith(r.error);
  return r.value;
}

const positiveId = (value: string, flag: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`${flag} must be a positive integer id (got ${value})\n`);
    process.exit(2);
  }
  return n;
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
      if (s.startsWith(question)) write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await promptHidden('New password: ');
  const again = await promptHidden('Repeat it: ');
  if (first !== again) {
    process.stderr.write('The two passwords differ; nothing was changed\n');
    process.exit(1);
  }
  return first;
}

export function registerAccountCommands(org: Command, user: Command, open: Open): void {
  org
    .command('rotate-secret')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .description('Issue a new organization secret (shown only now); the old one stops working at once')
    .action(async (opts: { org: string; json?: boolean }) => {
      const id = positiveId(opts.org, '--org');
      const runtime = await open();
      const { organizationSecret } = await settle(
        runtime,
        rotateOrganizationSecret(runtime.deps.store, runtime.deps.box, id),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify({ organizationId: id, organizationSecret })}\n`);
      else
        process.stdout.write(
          `Organization ${id} has a new secret; the old one no longer works.\n  Organization secret: ${organizationSecret}\n  It is not shown again (a user who signs in by password can get it back).\n`,
        );
    });

  user
    .command('rotate-secret')
    .requiredOption('--user <id>', 'user id')
    .option('--json', 'print JSON')
    .description('Issue a new user secret (shown only now); the old one stops working at once')
    .action(async (opts: { user: string; json?: boolean }) => {
      const id = positiveId(opts.user, '--user');
      const runtime = await open();
      const { user: row, userSecret } = await settle(
        runtime,
        rotateUserSecret(runtime.deps.store, runtime.deps.box, id),
      );
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ organizationId: row.organizationId, userId: id, userSecret })}\n`);
      else
        process.stdout.write(
          `User ${id} has a new secret; the old one no longer works.\n  User secret: ${userSecret}\n  It is not shown again.\n`,
        );
    });

  user
    .command('set-password')
    .requiredOption('--email <email>', "the user's e-mail (the sign-in name)")
    .option('--org <id>', 'organization id, when several organizations have a user with this e-mail')
    .description(
      `Set the password for sign-in by e-mail (POST /authentication); read from stdin, or asked for on a terminal. Ends the user's sessions`,
    )
    .action(async (opts: { email: string; org?: string }) => {
      const organizationId = opts.org === undefined ? undefined : positiveId(opts.org, '--org');
      const password = await readPassword();
      const runtime = await open();
      const row = await settle(
        runtime,
        setPassword(runtime.deps.store, { email: opts.email, password, organizationId }),
      );
      process.stdout.write(
        `User ${row.id} (${row.email}, organization ${row.organizationId}) can sign in by password.\n`,
      );
    });
}
