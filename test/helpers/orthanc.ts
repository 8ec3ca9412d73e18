import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startPeer, type Peer } from './dimse-peers.js';

/** Orthanc (Debian package), a real PACS peer for the DIMSE tests. */
export const ORTHANC = '/usr/sbin/Orthanc';

export interface OrthancPeer {
  peer: Peer;
  /** REST base URL. */
  base: string;
  dicomPort: number;
  stop(): Promise<void>;
}

/**
 * Starts Orthanc with a temporary configuration in `dir`: AE ORTHANC on a free DICOM port, REST
 * on a free HTTP port (local only, no authentication), `modalities` as its DicomModalities
 * (name → [AE, host, port]). Resolves once its REST API answers.
 */
export async function startOrthanc(
  dir: string,
  modalities: Record<string, [string, string, number]>,
): Promise<OrthancPeer> {
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const config = join(dir, 'orthanc.json');
  await writeFile(
    config,
    JSON.stringify({
      Name: 'strata-test',
      StorageDirectory: join(dir, 'orthanc-storage'),
      IndexDirectory: join(dir, 'orthanc-index'),
      HttpPort: httpPort,
      DicomAet: 'ORTHANC',
      DicomPort: dicomPort,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomCheckCalledAet: false,
      DicomModalities: modalities,
      Plugins: [],
    }),
  );
  const peer = startPeer(ORTHANC, [config]);
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${base}/system`)
      .then((r) => r.ok)
      .catch(() => false);
    if (up) break;
    if (i > 150) throw new Error(`Orthanc did not start: ${peer.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { peer, base, dicomPort, stop: () => peer.stop() };
}
