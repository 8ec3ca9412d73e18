import { describe, expect, it } from 'vitest';
import { tracingEnabled } from './compose-observability.js';
import { loadConfig } from './config/config.js';

const enabled = (env: Record<string, string>) => tracingEnabled(loadConfig(env));

describe('tracing switch', () => {
  it('is off by default, on with an OTLP endpoint or STRATA_TRACING=otlp, and off when asked', () => {
    expect(enabled({})).toBe(false);
    expect(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(enabled({ STRATA_TRACING: 'otlp' })).toBe(true);
    expect(
      enabled({ STRATA_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toBe(false);
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
