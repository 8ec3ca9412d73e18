import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('gives the embedded defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.dicomwebRoot).toBe('/dicom-web');
    expect(config.stow.duplicatePolicy).toBe('reject');
    expect(config.corsOrigins).toEqual(['*']);
    expect(config.trustedProxies).toEqual(['127.0.0.1', '::1']);
  });

  it.each([
    ['PORT', 'eighty', /PORT: expected a whole number/],
    ['PORT', '70000', /PORT: must be at most 65535/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: URL scheme must be one of/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL: not a valid URL/],
    ['STOW_DUPLICATE_POLICY', 'merge', /STOW_DUPLICATE_POLICY: expected one of reject, replace/],
    ['TRUSTED_PROXIES', '10.0.0.1,proxy.local', /TRUSTED_PROXIES: "proxy.local" is not an IP/],
    ['TRUSTED_PROXIES', '10.0.0.0/40', /TRUSTED_PROXIES: "10.0.0.0\/40" has a bad prefix/],
    ['DICOMWEB_ROOT', 'dicom-web', /DICOMWEB_ROOT: must be an absolute URL path/],
    ['PUBLIC_BASE_URL', 'ftp://x', /PUBLIC_BASE_URL: URL scheme/],
    ['QIDO_MAX_LIMIT', '-5', /QIDO_MAX_LIMIT: expected a whole number/],
    ['QIDO_DEFAULT_LIMIT', '0', /QIDO_DEFAULT_LIMIT: must be at least 1/],
    ['QIDO_DEFAULT_LIMIT', '5000', /QIDO_DEFAULT_LIMIT: must be at most QIDO_MAX_LIMIT/],
    ['RENDER_CONCURRENCY', '0', /RENDER_CONCURRENCY: must be at least 1/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads the slow-client limits, 0 meaning none', () => {
    const defaults = loadConfig({});
    expect(defaults.http).toEqual({
      idleTimeoutSeconds: 60,
      maxConnections: 1024,
      maxConnectionsPerClient: 128,
    });
    expect(defaults.stow.maxConcurrentUploads).toBe(64);
    expect(defaults.stow.maxConcurrentUploadsPerClient).toBe(16);
    const off = loadConfig({
      HTTP_IDLE_TIMEOUT_SECONDS: '0',
      HTTP_MAX_CONNECTIONS: '0',
      HTTP_MAX_CONNECTIONS_PER_CLIENT: '0',
      STOW_MAX_CONCURRENT_UPLOADS: '0',
      STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT: '0',
    });
    expect(off.http).toEqual({
      idleTimeoutSeconds: 0,
      maxConnections: 0,
      maxConnectionsPerClient: 0,
    });
    expect(off.stow.maxConcurrentUploads).toBe(0);
    expect(off.stow.maxConcurrentUploadsPerClient).toBe(0);
    expect(() => loadConfig({ HTTP_IDLE_TIMEOUT_SECONDS: '1.5' })).toThrow(
      /HTTP_IDLE_TIMEOUT_SECONDS: expected a whole number/,
    );
  });

  it('reads the QIDO-RS paging limits', () => {
    expect(loadConfig({}).qido).toEqual({ defaultLimit: 100, maxLimit: 1000 });
    expect(loadConfig({ QIDO_DEFAULT_LIMIT: '20', QIDO_MAX_LIMIT: '50' }).qido).toEqual({
      defaultLimit: 20,
      maxLimit: 50,
    });
  });

  it('reads the index timeout and start-up retry window (0 turns either off)', () => {
    expect(loadConfig({}).database).toEqual({ queryTimeoutMs: 30_000, connectRetrySeconds: 60 });
    const env = { DATABASE_QUERY_TIMEOUT_MS: '0', DATABASE_CONNECT_RETRY_SECONDS: '0' };
    expect(loadConfig(env).database).toEqual({ queryTimeoutMs: 0, connectRetrySeconds: 0 });
    expect(() => loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '2s' })).toThrow(
      /DATABASE_QUERY_TIMEOUT_MS: expected a whole number/,
    );
  });

  it('reads the decode/render slots (one per core by default), the queue bound and the frame cache', () => {
    expect(loadConfig({}).render).toEqual({
      concurrency: availableParallelism(),
      queueMax: 32,
      frameCacheBytes: 64 * 1024 ** 2,
    });
    expect(
      loadConfig({ RENDER_CONCURRENCY: '2', RENDER_QUEUE_MAX: '0', RENDER_FRAME_CACHE_BYTES: '0' })
        .render,
    ).toEqual({ concurrency: 2, queueMax: 0, frameCacheBytes: 0 });
  });

  it('never echoes a database URL, which may hold a password', () => {
    // A refused scheme must throw, naming the variable but not the value.
    const load = () => loadConfig({ DATABASE_URL: 'mysql://user:secret@h/db' });
    expect(load).toThrow(/DATABASE_URL/);
    expect(load).not.toThrow(/secret/);
  });

  it('parses lists and strips trailing slashes from URLs', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://a.example, https://b.example',
      PUBLIC_BASE_URL: 'https://pacs.example/base/',
    });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.publicBaseUrl).toBe('https://pacs.example/base');
  });
});
