import type { ComposeOverrides } from '../compose.js';
import type { Config } from '../config/config.js';
import type { DeidentifyOptions } from '../dicom/deidentify/deidentify.js';
import { UidMap } from '../dicom/deidentify/uid-map.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import { ResourceNotFoundError } from '../services/errors.js';
import type { ExportSelection } from '../services/export-instances.js';
import { exportPath, exportWriter } from '../transfer/export-writer.js';
import { messageOf } from '../transfer/run-import.js';
import { formatBytes } from '../transfer/tally.js';
import { cliActor } from './cli-actor.js';
import { openConfigured } from './verify.js';

export const EXPORT_USAGE = `Usage: strata export <StudyInstanceUID | --series UID | --query Q> --to <folder|file.zip> [options]

  Writes the stored Part 10 files of a study, a series, or every study a QIDO-RS query matches
  (Q as a query string: 'PatientID=X&StudyDate=20240101-20241231', any study-level matching
  key), to a folder (Study/Series/SOPInstanceUID.dcm) or a zip archive. Recorded in the audit
  trail as 110106 Export (one record per patient, before any file is written).

  --deidentify      apply the PS3.15 Annex E Basic Application Level Confidentiality Profile:
                    identifying attributes removed or emptied, private attributes removed,
                    UIDs replaced (consistently within this export, unrelated across exports),
                    Patient Identity Removed = YES. Pixel data is kept as it is: text burned
                    into the image is NOT removed
  --shift-dates N   with --deidentify: move every date by N days (may be negative) instead of
                    removing study dates (Retain Longitudinal Temporal Information, Modified
                    Dates Option)
  --keep-dates      with --deidentify: keep dates and times (Full Dates Option)
  --concurrency N   instances read at once into a folder (default 4; a zip is written in order)

  Exits 0 when everything was written, 1 when nothing matched or a file could not be written,
  2 for a usage or configuration error. With embedded PGlite stop the server first.`;

interface ExportArgs {
  selection: ExportSelection;
  to: string;
  deidentify?: DeidentifyOptions['dates'] | undefined;
  concurrency?: number | undefined;
}

export function parseExportArgs(args: readonly string[]): ExportArgs | string {
  const selections: ExportSelection[] = [];
  let to: string | undefined;
  let deidentify = false;
  let dates: DeidentifyOptions['dates'] = 'remove';
  let datesGiven = 0;
  let concurrency: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    const needsValue = ['--series', '--query', '--to', '--shift-dates', '--concurrency'];
    if (needsValue.includes(arg) && value === undefined) return `${arg} needs a value`;
    switch (arg) {
      case '--series':
        selections.push({ series: value! });
        i++;
        break;
      case '--query':
        selections.push({ query: value! });
        i++;
        break;
      case '--to':
        to = value;
        i++;
        break;
      case '--deidentify':
        deidentify = true;
        break;
      case '--keep-dates':
        dates = 'keep';
        datesGiven++;
        break;
      case '--shift-dates':
        if (!/^-?\d+$/.test(value!)) return '--shift-dates needs a whole number of days';
        dates = { shiftDays: Number(value) };
        datesGiven++;
        i++;
        break;
      case '--concurrency':
        if (!/^\d+$/.test(value!) || Number(value) < 1) return '--concurrency needs a number ≥ 1';
        concurrency = Math.min(Number(value), 64);
        i++;
        break;
      default:
        if (arg.startsWith('-')) return `unknown option "${arg}"`;
        selections.push({ study: arg });
    }
  }
  if (selections.length !== 1) return 'name one study UID, or one --series UID, or one --query';
  if (to === undefined) return '--to <folder|file.zip> is required';
  if (datesGiven > 1) return '--shift-dates and --keep-dates exclude each other';
  if (datesGiven > 0 && !deidentify) return '--shift-dates and --keep-dates go with --deidentify';
  return {
    selection: selections[0]!,
    to,
    deidentify: deidentify ? dates : undefined,
    concurrency,
  };
}

/** `strata export …` */
export async function exportCommand(
  config: Config,
  args: string[],
  overrides: ComposeOverrides = {},
): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    console.log(EXPORT_USAGE);
    return 0;
  }
  const parsed = parseExportArgs(args);
  if (typeof parsed === 'string') {
    console.error(`strata export: ${parsed}\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const strata = await openConfigured(config, { ...overrides, command: 'strata export' });
  if (!strata) return 2;
  const started = Date.now();
  const exporter = strata.services.export;
  const actor = cliActor('strata export');
  try {
    let rows;
    try {
      rows = await exporter.select(parsed.selection, actor);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundError)) throw error;
      console.error(`strata export: no stored ${error.level} matches`);
      return 1;
    }
    const writer = exportWriter(parsed.to);
    // The record comes first: an export the trail cannot record does not happen.
    await exporter.record(actor, rows, {
      destination: writer.kind,
      deidentified: parsed.deidentify !== undefined,
    });
    const deid: DeidentifyOptions | undefined = parsed.deidentify
      ? { uids: new UidMap(), dates: parsed.deidentify }
      : undefined;
    let bytes = 0;
    let ok = false;
    try {
      await forEachLimited(
        rows,
        Math.min(parsed.concurrency ?? writer.concurrency, writer.concurrency === 1 ? 1 : 64),
        async (row) => {
          if (deid) {
            const out = await exporter.openDeidentified(row, deid);
            bytes += out.bytes.length;
            await writer.write(exportPath(out.study, out.series, out.instance), out.bytes);
          } else {
            bytes += row.size;
            const path = exportPath(
              row.studyInstanceUid,
              row.seriesInstanceUid,
              row.sopInstanceUid,
            );
            await writer.write(path, await exporter.open(row));
          }
        },
      );
      ok = true;
    } finally {
      await writer.close(ok);
    }
    const studies = new Set(rows.map((r) => r.studyInstanceUid)).size;
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `exported ${rows.length} instances of ${studies} ${studies === 1 ? 'study' : 'studies'}` +
        `${deid ? ' (de-identified)' : ''}, ${formatBytes(bytes)}, to ${parsed.to} in ${seconds.toFixed(1)} s`,
    );
    return 0;
  } catch (error) {
    console.error(`strata export: ${messageOf(error)}`);
    return 1;
  } finally {
    await strata.close();
  }
}
