import type { RouteTable } from './access.js';
import { openApiDocument, type OpenApiOptions } from './openapi/document.js';

/**
 * `GET /openapi.json`, public: it describes the API and holds no data (the same text is in the
 * source repository), and clients and API tools read it before they hold a credential. Built
 * on first request, when every route is in the table.
 */
export function registerOpenApiRoute(table: RouteTable, options: OpenApiOptions): void {
  let document: string | undefined;
  table.add('get', '/openapi.json', 'public', (c) => {
    document ??= JSON.stringify(openApiDocument(table.records, options));
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(document, 200, { 'Content-Type': 'application/json' });
  });
}
