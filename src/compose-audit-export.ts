import { readFile } from 'node:fs/promises';
import { AuditExporter } from './audit/exporter.js';
import { syslogTransportFor } from './audit/syslog.js';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { Database } from './index/db.js';
import type { Logger } from './lib/log.js';

/**
 * The ATNA export (AUDIT_SYSLOG_URL), built before the server listens so that an unreadable
 * certificate file stops start-up; `startStrata` starts it once listening and stops it on close.
 * Undefined when no audit repository is configured.
 */
export async function openAuditExport(
  config: Config,
  database: Database,
  log: Logger,
): Promise<AuditExporter | undefined> {
  const { syslogUrl, syslogCaFile, syslogCertFile, syslogKeyFile, enterpriseSiteId } = config.audit;
  if (!syslogUrl) return undefined;
  if (Boolean(syslogCertFile) !== Boolean(syslogKeyFile)) {
    throw new ConfigError(
      syslogCertFile ? 'AUDIT_SYSLOG_KEY_FILE' : 'AUDIT_SYSLOG_CERT_FILE',
      'a client certificate needs both AUDIT_SYSLOG_CERT_FILE and AUDIT_SYSLOG_KEY_FILE',
    );
  }
  const tls = new URL(syslogUrl).protocol === 'tls:';
  if (!tls && (syslogCaFile || syslogCertFile)) {
    log.warn(
      'AUDIT_SYSLOG_CA_FILE / CERT_FILE / KEY_FILE apply to tls:// only; ignored for udp://',
    );
  }
  const transport = syslogTransportFor(
    syslogUrl,
    tls
      ? {
          ...(syslogCaFile ? { ca: await readSetting('AUDIT_SYSLOG_CA_FILE', syslogCaFile) } : {}),
          ...(syslogCertFile
            ? { cert: await readSetting('AUDIT_SYSLOG_CERT_FILE', syslogCertFile) }
            : {}),
          ...(syslogKeyFile
            ? { key: await readSetting('AUDIT_SYSLOG_KEY_FILE', syslogKeyFile) }
            : {}),
        }
      : {},
  );
  return new AuditExporter({
    database,
    transport,
    destination: syslogUrl,
    log,
    siteId: enterpriseSiteId,
  });
}

async function readSetting(variable: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError(
      variable,
      `cannot read the file (${typeof code === 'string' ? code : 'error'})`,
    );
  }
}
