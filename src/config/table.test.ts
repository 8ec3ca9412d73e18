import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  configTableOf,
  ENV_SETTINGS,
  renderConfigTable,
  TABLE_END,
  TABLE_START,
  withConfigTable,
} from './table.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README configuration table', () => {
  it('is the one rendered from the declarations (run `npm run config:table` after changing one)', () => {
    expect(configTableOf(readme)).toBe(renderConfigTable());
  });

  it('has one row per environment variable, each declared once', () => {
    const names = ENV_SETTINGS.map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    const rows = renderConfigTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `([A-Z0-9_]+)` \|/.exec(row)?.[1])).toEqual(names);
  });

  it('notices a table edited by hand, and rewrites only the marked region', () => {
    const edited = readme.replace('| listen address |', '| listen here |');
    expect(edited).not.toBe(readme);
    expect(configTableOf(edited)).not.toBe(renderConfigTable());
    const fixed = withConfigTable(`before\n${TABLE_START}\nold\n${TABLE_END}\nafter`);
    expect(fixed).toBe(`before\n${TABLE_START}\n\n${renderConfigTable()}\n\n${TABLE_END}\nafter`);
    expect(configTableOf('no markers')).toBeUndefined();
  });
});
