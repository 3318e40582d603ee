// Every setting is a contract users script against: the configuration table (docs/configuration.md) and .env.example must name
// each one with the default the code applies.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConfig } from './index.ts';

const root = new URL('../../', import.meta.url);
const configDoc = readFileSync(new URL('docs/configuration.md', root), 'utf8');
const envExample = readFileSync(new URL('.env.example', root), 'utf8');

// The table under "# Configuration" (other sections show a few settings in their own words).
const configSection = configDoc.slice(configDoc.indexOf('# Configuration'));

function documentedRow(name: string): string[] | undefined {
  const line = configSection.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  return line?.split('|').map((c) => c.trim());
}

describe('settings are documented', () => {
  for (const setting of describeConfig()) {
    it(`${setting.name} is in the configuration table with its default, and in .env.example`, () => {
      const row = documentedRow(setting.name);
      expect(row, `docs/configuration.md has no configuration row for ${setting.name}`).toBeDefined();
      const documented = row?.[2] ?? '';
      if (setting.default === undefined) expect(documented).toBe('—');
      else if (setting.default === '') expect(documented).toBe('empty');
      else expect(documented).toBe(`\`${String(setting.default)}\``);
      expect(envExample).toMatch(new RegExp(`^#? ?${setting.name}=`, 'm'));
    });
  }
});
