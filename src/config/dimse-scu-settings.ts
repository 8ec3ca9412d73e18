import { integer, list, string } from './setting.js';

/** PS3.5 6.2 AE: 1–16 characters of the Default Character Repertoire, no backslash or controls. */
const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;
const REMOTE_AE = /^([^@]+)@([^:@\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

/** A remote Application Entity Strata talks to as an SCU (`strata send`, `strata pull`). */
export interface RemoteAeConfig {
  aeTitle: string;
  host: string;
  port: number;
}

/** `TITLE@host:port` → its parts; a string saying what is wrong otherwise. */
export function parseRemoteAe(entry: string): RemoteAeConfig | string {
  const match = REMOTE_AE.exec(entry);
  if (!match) return `"${entry}" is not TITLE@host:port`;
  const [, aeTitle = '', host = '', port = ''] = match;
  if (!AE_TITLE.test(aeTitle.trim()) || aeTitle.trim() === '')
    return `"${aeTitle}" is not an AE title (1–16 characters, no backslash)`;
  const n = Number(port);
  if (n < 1 || n > 65535) return `port ${port} is out of range`;
  return { aeTitle: aeTitle.trim(), host: host.replace(/^\[|\]$/g, ''), port: n };
}

/** DIMSE as an SCU: the nodes Strata sends to and pulls from (README "DIMSE"). */
export const DIMSE_SCU = {
  aeTitle: string({
    env: 'DIMSE_AE_TITLE',
    default: 'STRATA',
    values: 'AE title',
    check: (value) => (AE_TITLE.test(value) ? undefined : 'must be 1–16 characters, no backslash'),
    help: "Strata's own AE title (the Calling AE Title of `strata send` / `strata pull`)",
  }),
  remoteAes: list({
    env: 'DIMSE_REMOTE_AES',
    default: [],
    shown: 'none',
    check: (entries) => entries.map(parseRemoteAe).find((parsed) => typeof parsed === 'string'),
    help: 'known remote AEs, `TITLE@host:port` each (`PACS@10.0.0.5:104,WS@ws1:11112`): the nodes `strata send` and `strata pull` name',
  }),
  timeoutSeconds: integer({
    env: 'DIMSE_SCU_TIMEOUT_SECONDS',
    default: 60,
    min: 1,
    max: 3600,
    help: 'as an SCU: limit for connecting, for the association answer and for each silence of the remote',
  }),
  batchBytes: integer({
    env: 'DIMSE_SEND_BATCH_BYTES',
    default: 64 << 20,
    min: 1 << 20,
    bytes: true,
    help: 'instances loaded for one association of `strata send` (an instance is held whole while sent; one always goes)',
  }),
};

/** The configured remote AEs, parsed (the setting's check has accepted every entry). */
export function remoteAesOf(entries: readonly string[]): RemoteAeConfig[] {
  return entries.map(parseRemoteAe).filter((e): e is RemoteAeConfig => typeof e !== 'string');
}
