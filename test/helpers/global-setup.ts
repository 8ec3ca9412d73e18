import { samplesAvailable } from '../../src/dicom/testing/samples.js';
import { dcmtkAvailable } from './dcmtk.js';

/**
 * Says out loud which suites were skipped, so a skipped PostgreSQL run or a missing sample
 * folder is never silent. Every project runs this; the notices print once per run.
 */
export default function setup(): void {
  const shown = 'STRATA_TEST_NOTICES_SHOWN';
  if (process.env[shown]) return;
  process.env[shown] = '1';
  if (!process.env['TEST_DATABASE_URL']) {
    console.warn(
      '\n[strata] TEST_DATABASE_URL is not set: the integration-postgres suites were skipped ' +
        '(PGlite suites ran). .ci/run sets it to the local PostgreSQL server.\n',
    );
  }
  if (!samplesAvailable) {
    console.warn(
      '\n[strata] the DICOM sample folder was not found (STRATA_DICOM_SAMPLES, else ' +
        '../shared/dicom-samples beside the checkout): the suites that read samples were ' +
        'skipped, everything else ran.\n',
    );
  }
  if (!dcmtkAvailable) {
    console.warn(
      '\n[strata] dcmtk (echoscu, storescu, findscu) is not installed: the DIMSE peer suites ' +
        '(test/dimse-*.test.ts) were skipped. `apt-get install dcmtk`; .ci/run installs it.\n',
    );
  }
}
