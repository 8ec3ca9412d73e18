/**
 * Who is asking, once authenticated, and what they may do. Every request carries exactly one
 * Principal (web/authenticate.ts sets it); routes only ever ask `can(principal, action)`.
 */

/** What a route needs. PS3.18 resources map onto these in web/routes.ts (one place). */
export const ACTIONS = ['read', 'write', 'delete', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

/** How the principal proved who it is (the audit trail records it). */
export type AuthMethod = 'anonymous' | 'oidc' | 'api-key' | 'account' | 'admin-token';

export interface Principal {
  method: AuthMethod;
  /** Stable identity for the audit trail: OIDC `sub`, the API key's name, the account name. */
  id: string;
  /** Role names as granted (token claim, key role, account roles), for the audit trail. */
  roles: readonly string[];
  /** What the roles allow (auth/roles.ts). */
  actions: ReadonlySet<Action>;
  /**
   * Patient context (SMART on FHIR style): when set, the principal sees only these patients'
   * studies (PatientID values). Undefined = no patient restriction.
   */
  patientIds?: readonly string[] | undefined;
}

export function can(principal: Principal, action: Action): boolean {
  return principal.actions.has(action);
}

/** The principal of a request without credentials when AUTH_ANONYMOUS allows some actions. */
export function anonymous(actions: ReadonlySet<Action>): Principal {
  return { method: 'anonymous', id: 'anonymous', roles: [], actions };
}
