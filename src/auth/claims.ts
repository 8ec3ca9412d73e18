import type { Principal } from './principal.js';
import { actionsOf, type RoleMap } from './roles.js';

export interface ClaimMapping {
  /** Dotted path of the claim holding role names (`realm_access.roles`, `roles`, `scope`). */
  rolesClaim: string;
  /** Claim holding the patient context: one PatientID, or a list. */
  patientClaim: string;
  roleMap: RoleMap;
}

/**
 * The value at a dotted path (`realm_access.roles`), or undefined. A top-level claim named by
 * the whole path wins: Auth0's namespaced claims are URLs (`https://strata.example/roles`).
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Strings from a claim: an array of strings, or one string split on spaces (the OAuth2 `scope`
 * form; also what some providers do with a single role).
 */
export function claimStrings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** A verified token's claims → the principal: `sub`, roles through the map, patient context. */
export function principalFromClaims(
  claims: Record<string, unknown>,
  mapping: ClaimMapping,
  method: Principal['method'],
): Principal {
  const roles = claimStrings(claimAt(claims, mapping.rolesClaim));
  const patient = claimAt(claims, mapping.patientClaim);
  // A patient claim that is present but holds nothing usable scopes to no patient at all: a
  // malformed context must narrow access, never widen it. An empty ID is dropped too: it would
  // match every study whose PatientID is empty.
  const patientIds =
    patient === undefined
      ? undefined
      : (typeof patient === 'string' ? [patient] : claimStrings(patient)).filter(Boolean);
  return {
    method,
    id: typeof claims['sub'] === 'string' ? claims['sub'] : 'unknown',
    roles,
    actions: actionsOf(roles, mapping.roleMap),
    patientIds,
  };
}
