import type { Actor } from '../../services/actor.js';

/**
 * The calling AE as the services and the audit trail see it. An AE title is not a person and
 * carries no patient context (a modality stores whatever it acquired), so the scope is
 * unrestricted: who may call at all is decided at association (DIMSE_REMOTE_AES).
 */
export function aeActor(
  callingAeTitle: string,
  clientAddress: string | undefined,
  associationId: string,
): Actor {
  return {
    user: { id: `ae:${callingAeTitle}`, method: 'dimse', roles: [] },
    clientAddress,
    requestId: associationId,
  };
}
