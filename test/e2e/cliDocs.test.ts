// The docs check: every `conduit …` command line and every `npm run …` script the README and docs/ show must exist —
// the command path in the CLI, each --flag among that command's options, each script in package.json — so a
// renamed flag or command cannot leave the documentation behind. (The commands' behaviour is tested by their own
// end-to-end tests; this keeps the docs honest about their names.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);

/** Shell-ish text of a document: fenced code blocks and inline code spans. */
function codeOf(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
  const spans = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...spans];
}

/** `conduit a b --x …` up to a shell separator or comment: its words and its flags. */
function conduitLines(code: string): Array<{ words: string[]; flags: string[]; text: string }> {
  const out: Array<{ words: string[]; flags: string[]; text: string }> = [];
  for (const m of code.matchAll(/(?:^|[\s(])conduit((?: +[^\s;&|#`)]+)*)/g)) {
    const all = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
    // "… --name <name>   or   npx conduit user create": the next command starts a new match.
    const end = all.findIndex((t) => ['or', 'npx', 'conduit', 'node'].includes(t));
    const tokens = end === -1 ? all : all.slice(0, end);
    const words: string[] = [];
    for (const t of tokens) {
      if (!/^[a-z][a-z-]*$/.test(t)) break;
      words.push(t);
    }
    const flags = tokens.filter((t) => /^--?[a-z]/.test(t)).map((t) => t.replace(/[=[].*$/, ''));
    out.push({ words, flags, text: `conduit${m[1] ?? ''}`.trim() });
  }
  return out;
}

async function resolve(words: string[]): Promise<{ command: Command; path: string[] }> {
  const program = await buildProgram(words[0]);
  let command: Command = program;
  const path: string[] = [];
  for (const w of words) {
    const next = command.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!next) break; // an argument (an id, a file name), not a command
    command = next;
    path.push(w);
  }
  return { command, path };
}

const found = docs.flatMap((file) =>
  codeOf(readFileSync(join(root, file), 'utf8')).flatMap((code) => [
    ...conduitLines(code).map((c) => ({ file, kind: 'conduit' as const, ...c })),
    ...[...code.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => ({
      file,
      kind: 'npm' as const,
      words: [m[1] ?? ''],
      flags: [],
      text: m[0],
    })),
  ]),
);

describe('commands in the docs exist', () => {
  it('finds the documented commands', () => {
    expect(found.filter((f) => f.kind === 'conduit').length).toBeGreaterThan(10);
  });

  it.each(found.filter((f) => f.kind === 'npm'))('$file: $text', ({ words }) => {
    expect(scripts).toContain(words[0]);
  });

  it.each(found.filter((f) => f.kind === 'conduit' && f.words.length > 0))('$file: $text', async ({ words, flags }) => {
    const { command, path } = await resolve(words);
    expect(path.length, `no command "${words[0]}"`).toBeGreaterThan(0);
    // A command with subcommands is named down to one of them (or is asked for its help).
    const known = new Set(['--help', '-h', '--version', '-V']);
    for (const o of command.options) {
      if (o.long) known.add(o.long);
      if (o.short) known.add(o.short);
      if (o.negate && o.long) known.add(o.long);
    }
    for (const flag of flags) expect([...known], `${path.join(' ')} has no option ${flag}`).toContain(flag);
  });
});
