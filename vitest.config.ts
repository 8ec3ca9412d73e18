import { defineConfig } from 'vitest/config';

/**
 * Four projects (see README "Tests"):
 * - unit: beside the code, nothing external.
 * - integration-pglite: the real server over HTTP on the embedded PGlite index.
 * - integration-postgres: the same files against PostgreSQL when TEST_DATABASE_URL is set.
 * - conformance: black-box PS3.18 checks against our own server (or CONFORMANCE_BASE_URL).
 */
const postgresUrl = process.env['TEST_DATABASE_URL'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Once per run: says whether the PostgreSQL suites or the sample suites were skipped.
    globalSetup: ['./test/helpers/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration-pglite',
          include: ['test/**/*.test.ts'],
          env: { STRATA_TEST_DB: 'pglite' },
        },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'integration-postgres',
                include: ['test/**/*.test.ts'],
                env: { STRATA_TEST_DB: 'postgres' },
              },
            },
          ]
        : []),
      {
        extends: true,
        test: { name: 'conformance', include: ['conformance/**/*.test.ts'] },
      },
    ],
  },
});
