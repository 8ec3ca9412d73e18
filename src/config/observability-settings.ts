import { boolean, oneOf, secret, string, url } from './setting.js';

/**
 * Metrics and tracing (README "Observability"). Declared once here; the README table is
 * rendered from these declarations.
 */
export const OBSERVABILITY = {
  metricsToken: secret({
    env: 'METRICS_TOKEN',
    minLength: 16,
    help: 'a bearer token that may scrape `GET /metrics` and nothing else (besides the admin action, which always may)',
  }),
  metricsPublic: boolean({
    env: 'METRICS_PUBLIC',
    default: false,
    help: '`GET /metrics` without credentials: only where the listener is reachable from a private network alone',
  }),
  tracing: oneOf({
    env: 'STRATA_TRACING',
    values: ['off', 'otlp'] as const,
    help: '`otlp`: OpenTelemetry traces over OTLP/HTTP. Unset: on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else off',
  }),
  otlpEndpoint: url({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    protocols: ['http:', 'https:'],
    help: 'OTLP/HTTP collector base URL (spans go to `…/v1/traces`); setting it turns tracing on. Unset with `STRATA_TRACING=otlp`: `http://localhost:4318`',
  }),
  serviceName: string({
    env: 'OTEL_SERVICE_NAME',
    default: 'strata',
    help: '`service.name` of the spans',
  }),
};
