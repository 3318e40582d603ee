#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader so `npm start` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/index.ts');
await runCli(process.argv);
