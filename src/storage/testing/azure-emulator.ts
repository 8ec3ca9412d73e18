import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Azurite's well-known development account (documented by Microsoft for the emulator; not a
 * secret). https://learn.microsoft.com/azure/storage/common/storage-use-azurite
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureEmulator {
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  accountUrl: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

let containerCounter = 0;

/** A fresh container name per call (3–63 chars, lowercase letters, digits and dashes). */
export function uniqueContainerName(label = 'strata'): string {
  containerCounter += 1;
  const suffix = `${process.pid.toString(36)}-${Date.now().toString(36)}-${containerCounter}`;
  return `${label}-${suffix}`.toLowerCase().slice(0, 63);
}

/**
 * Starts azurite's blob service from node_modules as a child process on a random port of
 * 127.0.0.1, persisting to a temp workspace that `stop()` removes (azurite refuses
 * `--inMemoryPersistence` together with `--location`, and in-memory blobs would cost RAM), no
 * telemetry (CI has no network), `--loose` and `--skipApiVersionCheck` so a newer SDK than the
 * emulator knows still works. Resolves once azurite prints the address it listens on.
 */
export async function startAzureEmulator(): Promise<AzureEmulator> {
  const location = await mkdtemp(join(tmpdir(), 'strata-azurite-'));
  const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
  const main = join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--location',
      location,
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: location },
  );
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(location, { recursive: true, force: true });
    throw error;
  }
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    accountUrl,
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};` +
      `AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
    stop: async () => {
      await stopChild(child);
      await rm(location, { recursive: true, force: true });
    },
  };
}

/** Waits for "successfully listens on http://host:port"; fails fast on exit or timeout. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`azurite did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining so the child never blocks on a full pipe
        child.stderr?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited with code ${code}:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
