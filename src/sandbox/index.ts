export { registerSandboxCommand } from './cli.ts';
export type { ApiKeyOption, FaultSettings, Role, SandboxOptions } from './options.ts';
export { DEFAULTS as SANDBOX_DEFAULTS } from './options.ts';
export { type RunningSandbox, startSandbox } from './server.ts';
