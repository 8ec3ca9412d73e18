import type * as OtelApi from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';

export interface TracingOptions {
  /**
   * OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. `http://collector:4318`); spans are
   * posted to `<endpoint>/v1/traces` as the OTLP specification says. Unset: the exporter's
   * default, `http://localhost:4318/v1/traces`.
   */
  endpoint: string | undefined;
  /** `service.name` of the resource (OTEL_SERVICE_NAME, default `strata`). */
  serviceName: string;
}

/** The route template and status of an answered request. */
export interface Answer {
  route: string;
  status: number;
}

/**
 * Spans for requests and, inside them, for index statements and storage operations. Attributes
 * are the route template, method, status, tier and operation only: never a URL, a key, a UID
 * or a query value (no PHI leaves with a span).
 */
export class Tracing {
  private constructor(
    private readonly api: typeof OtelApi,
    private readonly tracer: Tracer,
    private readonly shutdownProvider: () => Promise<void>,
  ) {}

  /**
   * Starts the OpenTelemetry SDK with the OTLP/HTTP exporter. Imported here, on demand: with
   * tracing off (the default) none of it is loaded.
   */
  static async start(options: TracingOptions): Promise<Tracing> {
    const [api, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] =
      await Promise.all([
        import('@opentelemetry/api'),
        import('@opentelemetry/sdk-trace-node'),
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/resources'),
      ]);
    const url =
      options.endpoint === undefined
        ? undefined
        : `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
    const exporter = new OTLPTraceExporter(url === undefined ? {} : { url });
    const provider = new NodeTracerProvider({
      resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    // Installs the AsyncLocalStorage context manager, so child spans find their request's span
    // across awaits. (A second server in one process keeps the first's: the manager is global,
    // spans still go to each server's own provider, as the tracer below is not the global one.)
    provider.register();
    return new Tracing(api, provider.getTracer('strata'), () => provider.shutdown());
  }

  /**
   * Runs one request's handling inside its span (so index and storage spans become its
   * children), then names the span by method and route template and records the status.
   */
  async around(
    method: string,
    handle: () => Promise<void>,
    answer: () => Answer,
    header: (name: string) => string | undefined = () => undefined,
  ): Promise<void> {
    const { api } = this;
    // A caller's W3C Trace Context (`traceparent`, `tracestate`) makes this span its child.
    const carrier: Record<string, string> = {};
    for (const name of ['traceparent', 'tracestate']) {
      const value = header(name);
      if (value !== undefined) carrier[name] = value;
    }
    const parent = api.propagation.extract(api.ROOT_CONTEXT, carrier);
    const span = this.tracer.startSpan(method, { kind: api.SpanKind.SERVER }, parent);
    try {
      await api.context.with(api.trace.setSpan(parent, span), handle);
    } finally {
      const { route, status } = answer();
      span.updateName(`${method} ${route}`);
      span.setAttributes({
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
      });
      if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
    }
  }

  /** A child span of the current request for a storage operation on a tier. */
  storage = {
    begin: (tier: string, operation: string) =>
      this.child(`storage ${operation}`, {
        'strata.storage.tier': tier,
        'strata.storage.operation': operation,
      }),
  };

  /** A child span of the current request for an index statement or transaction. */
  index = {
    begin: () => this.child('index query', { 'db.system.name': 'postgresql' }),
  };

  /** Sends what is still buffered and stops. */
  shutdown(): Promise<void> {
    return this.shutdownProvider();
  }

  private child(name: string, attributes: Record<string, string>): (error?: unknown) => void {
    const { api } = this;
    const parent: Context = api.context.active();
    // Outside a request (sweeps, HSM cycles on their timer) nothing is traced.
    if (api.trace.getSpan(parent) === undefined) return () => {};
    const span: Span = this.tracer.startSpan(name, { attributes }, parent);
    return (error) => {
      if (error !== undefined) {
        const code =
          typeof error === 'object' && error !== null && 'code' in error ? error.code : 0;
        span.setStatus({ code: api.SpanStatusCode.ERROR });
        if (typeof code === 'string') span.setAttribute('error.type', code);
      }
      span.end();
    };
  }
}
