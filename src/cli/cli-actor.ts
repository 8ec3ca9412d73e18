import { userInfo } from 'node:os';
import type { Actor } from '../services/actor.js';

/**
 * Who acts when a command works on the local index directly (`strata import`, `strata
 * export`): the operator's OS account, unrestricted, as anyone who can open DATA_DIR or
 * DATABASE_URL is. Recorded in the audit trail like a request's principal.
 */
export function cliActor(command: string): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the trail still says it was the CLI.
  }
  return { user: { id: `os:${name}`, method: 'system', roles: ['admin'] }, requestId: command };
}
