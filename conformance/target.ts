import { startTestServer, type TestServer } from '../test/helpers/server.js';

/**
 * The server under test: CONFORMANCE_BASE_URL (any DICOMweb Studies Service root, e.g.
 * http://localhost:8042/dicom-web) or, when unset, a Strata started here on a random port.
 * Tests talk HTTP only and store their own fixtures through STOW-RS.
 */
export async function conformanceTarget(): Promise<{ base: string; close(): Promise<void> }> {
  const external = process.env['CONFORMANCE_BASE_URL'];
  if (external) return { base: external.replace(/\/+$/, ''), close: async () => {} };
  const server: TestServer = await startTestServer();
  return { base: server.base, close: () => server.close() };
}
