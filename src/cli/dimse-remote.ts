import { userInfo } from 'node:os';
import type { Config } from '../config/config.js';
import type { RemoteAeConfig } from '../config/dimse-settings.js';
import type { Actor } from '../services/actor.js';

/** The remote AE a command names, from DIMSE_REMOTE_AES (case-sensitive, PS3.8 7.1.1.4). */
export function knownRemoteAe(config: Config, title: string): RemoteAeConfig | undefined {
  return config.dimse.remoteAes.find((ae) => ae.aeTitle === title);
}

export function unknownRemoteAe(command: string, config: Config, title: string): number {
  const known = config.dimse.remoteAes.map((ae) => ae.aeTitle);
  console.error(
    `strata ${command}: unknown AE "${title}"; known remote AEs (DIMSE_REMOTE_AES): ${known.length ? known.join(', ') : 'none'}`,
  );
  return 2;
}

/**
 * Who acts when an operator runs a command on the server's host: recorded as the operating
 * system user, unrestricted (whoever can run `strata` can read its data directory anyway).
 */
export function operatorActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the record still says it was the command line.
  }
  return { user: { id: `os:${name}`, method: 'system', roles: [] } };
}
