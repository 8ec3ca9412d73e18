/** Says out loud which database suites run, so a skipped PostgreSQL run is never silent. */
export default function setup(): void {
  if (!process.env['TEST_DATABASE_URL']) {
    console.warn(
      '\n[strata] TEST_DATABASE_URL is not set: the integration-postgres suites were skipped ' +
        '(PGlite suites ran). .ci/run sets it to the local PostgreSQL server.\n',
    );
  }
}
