// `.env` at start: Node's own parser (util.parseEnv, the one behind `node --env-file`) reads ./.env, or the file
// CONDUIT_ENV_FILE names; a variable already in the environment wins over the file.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './index.ts';

/** Adds the file's settings missing from `env`; returns the file read, or undefined when there is none. */
export function loadEnvFile(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): string | undefined {
  const named = env.CONDUIT_ENV_FILE;
  const file = resolve(cwd, named || '.env');
  if (!existsSync(file)) {
    if (named) throw new ConfigError([`CONDUIT_ENV_FILE names ${file}, which does not exist`]);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`the settings file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? e}`]);
  }
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (env[key] === undefined && value !== undefined) env[key] = value;
  }
  return file;
}
