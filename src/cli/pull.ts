import { dimseOptions, startDimse } from '../compose-dimse.js';
import type { Config } from '../config/config.js';
import { findStudies, moveStudy } from '../dimse/scu/query-retrieve.js';
import { knownRemoteAe, operatorActor, unknownRemoteAe } from './dimse-remote.js';
import { openConfigured } from './verify.js';

export const PULL_USAGE = `Usage: strata pull <AE> [--study UID] [--patient-id ID] [KEYWORD=VALUE ...]

  Migrates studies from a remote PACS (an AE in DIMSE_REMOTE_AES) into Strata: C-FIND at STUDY
  level with the given keys (e.g. StudyDate=20240101-20241231, ModalitiesInStudy=CT), then a
  C-MOVE of each study to Strata's own AE (DIMSE_AE_TITLE), received on DIMSE_PORT by this
  command through the same ingest as STOW. The remote must know Strata's AE (its title, this
  host and DIMSE_PORT). Resumable: a study Strata already holds in full (as many instances as
  the remote reports) is skipped, and an instance received again is a duplicate, not a change.
  Prints a summary (JSON); exits 0 when every study arrived in full, 1 otherwise, 2 for usage
  or configuration errors. With the embedded index (PGlite), run it while the server is stopped.`;

interface StudyLine {
  study: number;
  status: 'skipped' | 'moved' | 'incomplete' | 'failed';
  remoteInstances?: number | undefined;
  completed?: number;
  failed?: number;
  warnings?: number;
  moveStatus?: string;
  error?: string;
}

export async function pullCommand(config: Config, args: string[]): Promise<number> {
  const [title, ...rest] = args;
  const keys = parseKeys(rest);
  if (title === undefined || title.startsWith('-') || typeof keys === 'string') {
    console.error(typeof keys === 'string' ? `strata pull: ${keys}\n\n${PULL_USAGE}` : PULL_USAGE);
    return 2;
  }
  const remote = knownRemoteAe(config, title);
  if (!remote) return unknownRemoteAe('pull', config, title);
  const listen = dimseOptions(config);
  if (!listen || listen.port === 0) {
    console.error('strata pull: set DIMSE_PORT (the port the remote sends the studies to)');
    return 2;
  }
  const strata = await openConfigured(config, { command: 'strata pull' });
  if (!strata) return 2;
  const receiver = await startDimse(listen, {
    services: strata.services,
    audit: strata.audit.trail,
    log: strata.log,
  });
  try {
    const options = {
      callingAeTitle: config.dimse.aeTitle,
      remote,
      timeoutMs: config.dimseScu.timeoutSeconds * 1000,
    };
    const studies = await findStudies(keys, options);
    const lines: StudyLine[] = [];
    const actor = operatorActor();
    for (const [index, study] of studies.entries()) {
      const held = await strata.services.send.findByKeys(
        { studies: [study.studyInstanceUid] },
        actor,
      );
      if (study.instances !== undefined && held.length >= study.instances && held.length > 0) {
        lines.push({ study: index + 1, status: 'skipped', remoteInstances: study.instances });
        continue;
      }
      const moved = await moveStudy(study.studyInstanceUid, config.dimse.aeTitle, options);
      const complete = moved.status === 0;
      lines.push({
        study: index + 1,
        status: complete ? 'moved' : moved.status === undefined ? 'failed' : 'incomplete',
        remoteInstances: study.instances,
        completed: moved.completed,
        failed: moved.failed,
        warnings: moved.warnings,
        ...(moved.status !== undefined
          ? { moveStatus: moved.status.toString(16).toUpperCase().padStart(4, '0') }
          : {}),
        ...(moved.error ? { error: moved.error } : {}),
      });
    }
    const count = (s: StudyLine['status']) => lines.filter((l) => l.status === s).length;
    const summary = {
      source: remote.aeTitle,
      studies: studies.length,
      moved: count('moved'),
      skipped: count('skipped'),
      incomplete: count('incomplete'),
      failed: count('failed'),
      instancesReceived: lines.reduce((n, l) => n + (l.completed ?? 0) + (l.warnings ?? 0), 0),
      details: lines,
    };
    console.log(JSON.stringify(summary, null, 2));
    return summary.incomplete + summary.failed === 0 ? 0 : 1;
  } catch (error) {
    console.error(`strata pull: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await receiver.close();
    await strata.close();
  }
}

/** --study, --patient-id and KEYWORD=VALUE pairs → C-FIND keys; a message when malformed. */
function parseKeys(args: string[]): Record<string, string> | string {
  const keys: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--study' || arg === '--patient-id') {
      const value = args[++i];
      if (value === undefined) return `${arg} needs a value`;
      keys[arg === '--study' ? 'StudyInstanceUID' : 'PatientID'] = value;
    } else if (/^[A-Za-z][A-Za-z0-9]*=/.test(arg)) {
      const at = arg.indexOf('=');
      keys[arg.slice(0, at)] = arg.slice(at + 1);
    } else return `unexpected argument "${arg}"`;
  }
  return keys;
}
