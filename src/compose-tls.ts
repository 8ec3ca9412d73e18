import { readFileSync } from 'node:fs';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';

/** What the HTTPS listener needs: PEM certificate chain and key, read once at start-up. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * TLS_CERT_FILE and TLS_KEY_FILE: both → Strata serves HTTPS itself; neither → plain HTTP (a
 * reverse proxy terminates TLS, or the server is on loopback); one alone is a mistake that must
 * not quietly fall back to plain HTTP. Unreadable files stop start-up naming the variable
 * (never the file's content).
 */
export function readTlsFiles(config: Config): TlsFiles | undefined {
  const { certFile, keyFile } = config.tls;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) {
    throw new ConfigError(
      'TLS_CERT_FILE',
      'TLS_KEY_FILE is set: set TLS_CERT_FILE too, or neither',
    );
  }
  if (keyFile === undefined) {
    throw new ConfigError('TLS_KEY_FILE', 'TLS_CERT_FILE is set: set TLS_KEY_FILE too, or neither');
  }
  return { cert: readPem('TLS_CERT_FILE', certFile), key: readPem('TLS_KEY_FILE', keyFile) };
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError(
      variable,
      `cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
}
