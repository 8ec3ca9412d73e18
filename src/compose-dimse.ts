import { readFileSync } from 'node:fs';
import type { AuditSink } from './audit/event.js';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { DimseObserver } from './dimse/observer.js';
import type { DimseOptions } from './dimse/options.js';
import type { SubOperationOptions } from './dimse/scp/move.js';
import type { DimseServer } from './dimse/server.js';
import type { Logger } from './lib/log.js';
import type { Services } from './services/services.js';

/** The DIMSE listener's options from configuration; undefined when DIMSE_PORT is unset. */
export function dimseOptions(config: Config): DimseOptions | undefined {
  const d = config.dimse;
  if (d.port === undefined) return undefined;
  return {
    host: d.host ?? config.host,
    port: d.port,
    aeTitle: d.aeTitle,
    acceptUnknownAes: d.acceptUnknownAes,
    remoteAes: d.remoteAes,
    maxAssociations: d.maxAssociations,
    idleTimeoutMs: d.idleTimeoutSeconds * 1000,
    maxPduLength: d.maxPduLength,
    tls: dimseTls(d),
  };
}

/** DIMSE_TLS_CERT_FILE and _KEY_FILE together or neither; _CA_FILE only with them. */
function dimseTls(d: Config['dimse']): DimseOptions['tls'] {
  const { tlsCertFile: cert, tlsKeyFile: key, tlsCaFile: ca } = d;
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw new ConfigError('DIMSE_TLS_CA_FILE', 'needs DIMSE_TLS_CERT_FILE');
    return undefined;
  }
  if (cert === undefined)
    throw new ConfigError('DIMSE_TLS_CERT_FILE', 'DIMSE_TLS_KEY_FILE is set: set both, or neither');
  if (key === undefined)
    throw new ConfigError('DIMSE_TLS_KEY_FILE', 'DIMSE_TLS_CERT_FILE is set: set both, or neither');
  return {
    cert: readPem('DIMSE_TLS_CERT_FILE', cert),
    key: readPem('DIMSE_TLS_KEY_FILE', key),
    ca: ca === undefined ? undefined : readPem('DIMSE_TLS_CA_FILE', ca),
  };
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

/** Starts the DIMSE listener; resolves once it listens. */
export async function startDimse(
  options: DimseOptions,
  deps: {
    services: Services;
    audit: AuditSink;
    log: Logger;
    observer?: DimseObserver;
    subOperations?: SubOperationOptions;
  },
): Promise<DimseServer> {
  // Loaded only when DIMSE_PORT is set: the DICOM network library costs ~25 MB of memory that
  // a DICOMweb-only server would carry for nothing.
  const { DimseServer } = await import('./dimse/server.js');
  const server = new DimseServer(options, deps);
  const port = await server.listen();
  deps.log.info('dimse listening', {
    host: options.host,
    port,
    aeTitle: options.aeTitle,
    tls: options.tls !== undefined,
  });
  return server;
}
