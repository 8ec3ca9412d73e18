import type { Config } from '../config/config.js';
import { sendInstances } from '../dimse/scu/send-instances.js';
import { ResourceNotFoundError } from '../services/errors.js';
import { knownRemoteAe, operatorActor, unknownRemoteAe } from './dimse-remote.js';
import { openConfigured } from './verify.js';

export const SEND_USAGE = `Usage: strata send <AE> <StudyInstanceUID>

  Sends every stored instance of the study to the remote AE (DIMSE C-STORE; the AE title must be
  in DIMSE_REMOTE_AES). Each instance goes in its stored transfer syntax; if the remote refuses
  that, converted to Explicit VR Little Endian where possible. Prints a summary (JSON); exits 0
  when all were stored, 1 when any failed, 2 for usage or configuration errors.`;

export async function sendCommand(config: Config, args: string[]): Promise<number> {
  const [title, study, ...rest] = args;
  if (title === undefined || study === undefined || rest.length > 0 || title.startsWith('-')) {
    console.error(SEND_USAGE);
    return 2;
  }
  const remote = knownRemoteAe(config, title);
  if (!remote) return unknownRemoteAe('send', config, title);
  const strata = await openConfigured(config, { command: 'strata send' });
  if (!strata) return 2;
  try {
    const actor = operatorActor();
    const exporter = strata.services.send;
    let rows;
    try {
      rows = await exporter.find({ study }, actor);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundError)) throw error;
      console.error('strata send: no such study');
      return 1;
    }
    await exporter.recordStart(actor, rows, remote);
    const started = performance.now();
    const summary = await sendInstances(rows, exporter, {
      callingAeTitle: config.dimse.aeTitle,
      remote,
      timeoutMs: config.dimseScu.timeoutSeconds * 1000,
      batchBytes: config.dimseScu.batchBytes,
    });
    const failed = new Set(summary.failed.map((f) => f.sopInstanceUid));
    await exporter.recordFailures(actor, rows, failed, remote);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify(
        { destination: remote.aeTitle, ...summary, seconds: Math.round(seconds * 100) / 100 },
        null,
        2,
      ),
    );
    return summary.failed.length === 0 ? 0 : 1;
  } finally {
    await strata.close();
  }
}
