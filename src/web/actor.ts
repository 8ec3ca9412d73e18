import type { Context } from 'hono';
import type { AuditUser } from '../audit/event.js';
import type { Actor } from '../services/actor.js';
import { principalOf } from './access.js';
import { clientAddressOf } from './client-address.js';

/** The audit identity of a request without credentials (AUTH_ANONYMOUS, bare loopback). */
const ANONYMOUS: AuditUser = { id: 'anonymous', method: 'anonymous', roles: [] };

/**
 * Who a request acts as, for the services: the authenticated principal's identity and patient
 * scope (web/access.ts), the request id, and the client's address. The one place web/ builds
 * an Actor.
 */
export function actorOf(c: Context): Actor {
  const principal = principalOf(c);
  const user: AuditUser =
    principal === undefined || principal.method === 'anonymous'
      ? ANONYMOUS
      : { id: principal.id, method: principal.method, roles: principal.roles };
  return {
    user,
    clientAddress: clientAddressOf(c),
    requestId: c.get('requestId' as never) as string | undefined,
    patientIds: principal?.patientIds,
  };
}
