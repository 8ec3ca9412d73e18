import { statSync } from 'node:fs';
import type { ComposeOverrides } from '../compose.js';
import type { Config } from '../config/config.js';
import type { ImportSession } from '../services/import-session.js';
import { Progress } from '../transfer/progress.js';
import { failureText } from '../transfer/reasons.js';
import { RemoteStowTarget } from '../transfer/remote-stow.js';
import { runImport, messageOf, type ImportTarget } from '../transfer/run-import.js';
import { listSources } from '../transfer/sources.js';
import { Tally, type FileResult } from '../transfer/tally.js';
import { cliActor } from './cli-actor.js';
import { openConfigured } from './verify.js';

export const IMPORT_USAGE = `Usage: strata import <folder|file.zip|file>... [options]

  Stores every DICOM file found: folders recursively, zip archives entry by entry (also inside
  folders), several files at once. Hidden files and DICOMDIR are skipped; other files that are
  not DICOM are refused. Resumable: what is stored already is not sent again, so an interrupted
  import is finished by running it again. Prints a progress line on a terminal (one line per
  file otherwise) and a summary; exits 1 when any file was refused.

  --concurrency N   files (local) or requests (--url) at once (default 4)
  --url URL         import into a Strata server instead of the local configuration: its
                    DICOMweb root (https://host/dicom-web; a bare https://host gets
                    /dicom-web). Batches of 20 instances or 50 MB per STOW-RS request
  --token T         credentials for --url (an API key from \`strata keys create\` or a bearer
                    token); omit for a server that allows anonymous access

  Local (no --url): opens the index and storage like the server and stores through the same
  write path; duplicates are files whose SOP Instance UID is stored with the same SHA-256.
  With --url: duplicates are instances the server lists already (same SOP Instance UID).
  With embedded PGlite (no DATABASE_URL) stop the server first, or import with --url.`;

interface ImportArgs {
  paths: string[];
  concurrency: number;
  url?: string | undefined;
  token?: string | undefined;
}

export function parseImportArgs(args: readonly string[]): ImportArgs | string {
  const out: ImportArgs = { paths: [], concurrency: 4 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === '--concurrency') {
      if (!/^\d+$/.test(value ?? '') || Number(value) < 1)
        return '--concurrency needs a number ≥ 1';
      out.concurrency = Math.min(Number(value), 64);
      i++;
    } else if (arg === '--url' || arg === '--token') {
      if (value === undefined) return `${arg} needs a value`;
      if (arg === '--url') out.url = dicomwebRoot(value);
      else out.token = value;
      i++;
    } else if (arg.startsWith('--')) {
      return `unknown option "${arg}"`;
    } else {
      out.paths.push(arg);
    }
  }
  if (out.paths.length === 0) return 'which folders, zip files or files?';
  if (out.token !== undefined && out.url === undefined) return '--token goes with --url';
  if (out.url !== undefined && !/^https?:\/\//.test(out.url)) return '--url must be http(s)://…';
  return out;
}

/** A bare server URL gets Strata's default DICOMweb root. */
function dicomwebRoot(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  try {
    return new URL(trimmed).pathname === '/' ? `${trimmed}/dicom-web` : trimmed;
  } catch {
    return trimmed;
  }
}

/** `strata import …` */
export async function importCommand(
  config: Config,
  args: string[],
  overrides: ComposeOverrides = {},
): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    console.log(IMPORT_USAGE);
    return 0;
  }
  const parsed = parseImportArgs(args);
  if (typeof parsed === 'string') {
    console.error(`strata import: ${parsed}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  let sources;
  try {
    sources = await listSources(parsed.paths);
  } catch (error) {
    console.error(`strata import: cannot read the input: ${messageOf(error)}`);
    return 2;
  }
  try {
    if (parsed.url !== undefined) {
      return await run(sources, new RemoteStowTarget({ url: parsed.url, token: parsed.token }), {
        concurrency: parsed.concurrency,
        duplicates: 'already on the server',
      });
    }
    const strata = await openConfigured(config, { ...overrides, command: 'strata import' });
    if (!strata) return 2;
    const session = strata.services.stow.importSession(
      cliActor('strata import'),
      sourceKind(parsed.paths),
    );
    try {
      return await run(sources, localTarget(session), {
        concurrency: parsed.concurrency,
        duplicates: 'stored identically already',
        finish: () => session.finish(),
      });
    } finally {
      await strata.close();
    }
  } finally {
    await sources.close();
  }
}

async function run(
  sources: Awaited<ReturnType<typeof listSources>>,
  target: ImportTarget,
  options: { concurrency: number; duplicates: string; finish?: () => Promise<void> },
): Promise<number> {
  const started = Date.now();
  const tally = new Tally();
  const out = process.stdout;
  const progress = new Progress(
    { write: (text) => void out.write(text), isTTY: out.isTTY === true, columns: out.columns },
    sources.files.length,
    sources.files.reduce((sum, f) => sum + f.size, 0),
  );
  for (const { name, reason } of sources.skipped) {
    tally.skip(reason);
    progress.skipped(name, reason);
  }
  let stopped: unknown;
  try {
    await runImport(sources.files, target, { concurrency: options.concurrency, progress, tally });
  } catch (error) {
    stopped = error;
  }
  try {
    await options.finish?.();
  } catch (error) {
    stopped ??= error;
  }
  progress.end();
  console.log(tally.summary((Date.now() - started) / 1000, options.duplicates));
  if (stopped !== undefined) {
    console.error(`strata import: stopped: ${messageOf(stopped)}`);
    return 1;
  }
  return tally.exitCode;
}

/** The local index: one file per call, skipped when stored with the same bytes. */
function localTarget(session: ImportSession): ImportTarget {
  return {
    batch: { files: 1, bytes: 0 },
    store: async ([file]) => {
      if (!file) return [];
      const { probe } = file;
      if (
        probe.kind === 'dicom' &&
        (await session.storedSha256(probe.sopInstanceUid)) === probe.sha256
      ) {
        return [{ status: 'duplicate' }];
      }
      const outcome = await session.store(await file.file.open());
      const result: FileResult = outcome.ok
        ? { status: outcome.result === 'duplicate' ? 'duplicate' : 'stored' }
        : { status: 'refused', reason: `${failureText(outcome.reason)}: ${outcome.detail}` };
      return [result];
    },
  };
}

/** What the audit record says was imported from: a kind, never a path (it may name someone). */
function sourceKind(paths: readonly string[]): string {
  const kinds = new Set(
    paths.map((p) =>
      /\.zip$/i.test(p)
        ? 'zip'
        : statSync(p, { throwIfNoEntry: false })?.isDirectory()
          ? 'folder'
          : 'files',
    ),
  );
  return kinds.size === 1 ? [...kinds][0]! : 'mixed';
}
