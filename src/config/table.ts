import { readFile, writeFile } from 'node:fs/promises';
import {
  CONFIG_FILE,
  DATABASE,
  HTTP,
  QIDO,
  RENDER,
  SERVER,
  STOW,
  SWEEPER,
} from './server-settings.js';
import type { Setting } from './setting.js';
import { DIMSE_SCU } from './dimse-scu-settings.js';
import { AUDIT, AUTH, TLS } from './security-settings.js';
import { UPLOAD } from './upload-settings.js';
import { OBSERVABILITY } from './observability-settings.js';
import { CONSOLE } from './console-settings.js';
import { EVENTS } from './events-settings.js';
import { DIMSE } from './dimse-settings.js';
import { AWS_CREDENTIALS, AZURE, ENCRYPTION, S3, STORAGE_BACKEND } from './storage-settings.js';

/** Every environment variable, in README order. */
export const ENV_SETTINGS: readonly Setting<unknown>[] = [
  ...Object.values(SERVER),
  ...Object.values(DATABASE),
  ...Object.values(HTTP),
  ...Object.values(STOW),
  ...Object.values(QIDO),
  ...Object.values(RENDER),
  ...Object.values(SWEEPER),
  ...Object.values(UPLOAD),
  STORAGE_BACKEND,
  ...Object.values(S3),
  ...Object.values(AWS_CREDENTIALS),
  ...Object.values(AZURE),
  ...Object.values(ENCRYPTION),
  ...Object.values(AUTH),
  ...Object.values(AUDIT),
  ...Object.values(TLS),
  ...Object.values(OBSERVABILITY),
  ...Object.values(CONSOLE),
  ...Object.values(EVENTS),
  ...Object.values(DIMSE),
  ...Object.values(DIMSE_SCU),
  CONFIG_FILE,
];

export const TABLE_START =
  '<!-- config-table: generated from src/config/*-settings.ts by `npm run config:table`; edit the declarations, not this table -->';
export const TABLE_END = '<!-- config-table end -->';

/**
 * The README "Configuration" table, one row per environment variable; S3 and Azure settings
 * also name their field in a STRATA_CONFIG tier's `backend` object.
 */
export function renderConfigTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = ENV_SETTINGS.map((s) => {
    const field = s.json === undefined ? '' : `\`${s.json}\``;
    const cells = [`\`${s.env}\``, field, s.shownDefault, s.shownValues, s.help];
    return `| ${cells.map(cell).join(' | ')} |`;
  });
  const head = ['variable', 'STRATA_CONFIG backend field', 'default', 'values', 'meaning'];
  return [`| ${head.join(' | ')} |`, `|${' --- |'.repeat(head.length)}`, ...rows].join('\n');
}

/** The text between the markers, or undefined when the README has none. */
export function configTableOf(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + TABLE_START.length, end).trim();
}

/** The README with its generated region replaced by the current table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README has no ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${renderConfigTable()}\n\n${readme.slice(end)}`;
}

/** `npm run config:table`: rewrites the README's table from the declarations. */
export async function writeConfigTable(path: string): Promise<void> {
  await writeFile(path, withConfigTable(await readFile(path, 'utf8')));
}
