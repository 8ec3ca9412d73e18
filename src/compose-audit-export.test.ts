import { describe, expect, it } from 'vitest';
import { AuditExporter } from './audit/exporter.js';
import { openAuditExport } from './compose-audit-export.js';
import { loadConfig } from './config/config.js';
import type { Database } from './index/db.js';
import { createLogger } from './lib/log.js';

// Building the export reads settings and files only; the index is first used once it runs.
const database = {} as Database;
const log = createLogger('silent');
const open = (env: Record<string, string>) =>
  openAuditExport(loadConfig({ DATA_DIR: '/tmp/strata-unused', ...env }), database, log);

describe('openAuditExport', () => {
  it('is off without AUDIT_SYSLOG_URL', async () => {
    expect(await open({})).toBeUndefined();
  });

  it('builds an exporter for udp:// and tls://', async () => {
    const udp = await open({ AUDIT_SYSLOG_URL: 'udp://127.0.0.1:514' });
    const tls = await open({ AUDIT_SYSLOG_URL: 'tls://localhost:6514' });
    expect(udp).toBeInstanceOf(AuditExporter);
    expect(tls).toBeInstanceOf(AuditExporter);
    await udp?.stop();
    await tls?.stop();
  });

  it('stops start-up, naming the setting, when a certificate file cannot be read', async () => {
    await expect(
      open({ AUDIT_SYSLOG_URL: 'tls://localhost:6514', AUDIT_SYSLOG_CA_FILE: '/nonexistent/ca' }),
    ).rejects.toThrow('AUDIT_SYSLOG_CA_FILE: cannot read the file (ENOENT)');
  });

  it('wants a client certificate and its key together', async () => {
    await expect(
      open({ AUDIT_SYSLOG_URL: 'tls://localhost:6514', AUDIT_SYSLOG_CERT_FILE: '/x/cert.pem' }),
    ).rejects.toThrow(/^AUDIT_SYSLOG_KEY_FILE: /);
  });
});
