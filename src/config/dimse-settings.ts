import { boolean, integer, list, string } from './setting.js';

/**
 * The DIMSE listener (README "DIMSE"): modalities and workstations that speak the DICOM network
 * protocol (PS3.7, PS3.8) store and query over it. Off unless DIMSE_PORT is set.
 */

/** PS3.5 Table 6.2-1 (AE): 1–16 characters of the default repertoire, no backslash. */
const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

/** One known remote node: who may call us (DIMSE_ACCEPT_UNKNOWN_AES) and where we may send. */
export interface RemoteAeConfig {
  aeTitle: string;
  host: string;
  port: number;
}

/** `AE@host:port` (host may be `[v6]`); a problem text, or the parsed node. */
export function parseRemoteAe(entry: string): RemoteAeConfig | string {
  const at = entry.lastIndexOf('@');
  if (at < 1) return `"${entry}" is not AE@host:port`;
  const aeTitle = entry.slice(0, at).trim();
  if (!AE_TITLE.test(aeTitle) || aeTitle.trim() === '') return `"${aeTitle}" is not an AE title`;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(entry.slice(at + 1).trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return `"${entry}" is not AE@host:port`;
  return { aeTitle, host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export const DIMSE = {
  port: integer({
    env: 'DIMSE_PORT',
    min: 0,
    max: 65535,
    help: 'DICOM (DIMSE) listen port (104 and 11112 are customary; `0` = any free port). Unset = no DIMSE listener',
  }),
  host: string({
    env: 'DIMSE_HOST',
    shown: 'as `HOST`',
    help: 'DIMSE listen address; unset = the address of `HOST`',
  }),
  aeTitle: string({
    env: 'DIMSE_AE_TITLE',
    default: 'STRATA',
    values: 'AE title (1–16 characters)',
    check: (value) => (AE_TITLE.test(value) ? undefined : 'must be 1–16 characters, no backslash'),
    help: "Strata's own AE title; an association calling another title is rejected (called AE title not recognized)",
  }),
  acceptUnknownAes: boolean({
    env: 'DIMSE_ACCEPT_UNKNOWN_AES',
    default: false,
    help: 'accept associations from calling AE titles not in `DIMSE_REMOTE_AES` (any node that can reach the port may then store and query: only on a trusted network)',
  }),
  remoteAes: list({
    env: 'DIMSE_REMOTE_AES',
    default: [],
    check: (values) => {
      for (const value of values) {
        const parsed = parseRemoteAe(value);
        if (typeof parsed === 'string') return parsed;
      }
      return undefined;
    },
    help: 'known remote nodes, `AE@host:port` comma-separated (e.g. `CT1@10.0.0.5:104,WS@ws.local:11112`): the calling AE titles accepted, and where C-MOVE may send',
  }),
  maxAssociations: integer({
    env: 'DIMSE_MAX_ASSOCIATIONS',
    default: 32,
    min: 1,
    help: 'associations open at once; more are rejected (transient, local limit exceeded)',
  }),
  idleTimeoutSeconds: integer({
    env: 'DIMSE_IDLE_TIMEOUT_SECONDS',
    default: 60,
    min: 1,
    help: 'an association whose peer sends nothing this long is aborted (A-ABORT) and closed (ARTIM / idle timer, PS3.8 9.1.5)',
  }),
  maxPduLength: integer({
    env: 'DIMSE_MAX_PDU_LENGTH',
    default: 65536,
    min: 4096,
    max: 16 * 1024 * 1024,
    bytes: true,
    help: 'maximum P-DATA PDU length Strata announces and accepts; a peer sending a longer PDU is aborted',
  }),
  tlsCertFile: string({
    env: 'DIMSE_TLS_CERT_FILE',
    values: 'file path',
    help: 'PEM certificate chain: the DIMSE port speaks DICOM TLS only (TLS 1.2+, BCP 195 / PS3.15 B.9). Needs `DIMSE_TLS_KEY_FILE`',
  }),
  tlsKeyFile: string({
    env: 'DIMSE_TLS_KEY_FILE',
    values: 'file path',
    help: 'PEM private key for `DIMSE_TLS_CERT_FILE`',
  }),
  tlsCaFile: string({
    env: 'DIMSE_TLS_CA_FILE',
    values: 'file path',
    help: 'PEM CA certificates: with it, peers must present a certificate it signed (mutual TLS)',
  }),
};
