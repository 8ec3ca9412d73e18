import { describe, expect, it } from 'vitest';
import { claimAt, principalFromClaims, type ClaimMapping } from './claims.js';
import { DEFAULT_ROLES } from './roles.js';

const mapping = (rolesClaim: string): ClaimMapping => ({
  rolesClaim,
  patientClaim: 'patient',
  roleMap: DEFAULT_ROLES,
});

const actions = (claims: Record<string, unknown>, rolesClaim: string) =>
  [...principalFromClaims(claims, mapping(rolesClaim), 'oidc').actions].sort();

describe('principalFromClaims', () => {
  it('#12: takes roles from Keycloak realm_access.roles', () => {
    const claims = { sub: 'u1', realm_access: { roles: ['offline_access', 'reader'] } };
    const principal = principalFromClaims(claims, mapping('realm_access.roles'), 'oidc');
    expect(principal).toMatchObject({
      method: 'oidc',
      id: 'u1',
      roles: ['offline_access', 'reader'],
      patientIds: undefined,
    });
    expect([...principal.actions]).toEqual(['read']);
  });

  it('#12: takes roles from an Entra ID `roles` array, `groups`, or a space-separated `scope`', () => {
    expect(actions({ roles: ['writer'] }, 'roles')).toEqual(['read', 'write']);
    expect(actions({ groups: ['editor', 'staff'] }, 'groups')).toEqual(['delete', 'read', 'write']);
    expect(actions({ scope: 'openid profile uploader' }, 'scope')).toEqual(['write']);
  });

  it('#12: takes roles from an Auth0 namespaced claim, whose name holds dots', () => {
    const claim = 'https://strata.example/roles';
    expect(actions({ [claim]: ['reader'] }, claim)).toEqual(['read']);
  });

  it('#12: a missing, malformed or unknown roles claim grants nothing', () => {
    for (const claims of [
      {},
      { roles: 'nobody' },
      { roles: 42 },
      { roles: [{ name: 'admin' }, null] },
      { realm_access: 'admin' },
    ]) {
      expect(actions(claims, 'roles')).toEqual([]);
      expect(actions(claims, 'realm_access.roles')).toEqual([]);
    }
    // A path is followed through objects only, never a prototype.
    expect(actions({ roles: ['admin'] }, 'roles.constructor')).toEqual([]);
    expect(claimAt({ a: { b: 1 } }, 'a.toString')).toBeUndefined();
  });

  it('#12: a patient claim scopes the principal to its PatientID(s)', () => {
    const of = (patient: unknown) =>
      principalFromClaims({ roles: ['reader'], patient }, mapping('roles'), 'oidc').patientIds;
    expect(of('P-1')).toEqual(['P-1']);
    expect(of(['P-1', 'P-2'])).toEqual(['P-1', 'P-2']);
    // A string is one PatientID, spaces included (they are legal in PatientID).
    expect(of('P 1')).toEqual(['P 1']);
  });

  it('#12: a malformed patient claim scopes to no patient at all, never to every patient', () => {
    const of = (patient: unknown) =>
      principalFromClaims({ roles: ['reader'], patient }, mapping('roles'), 'oidc').patientIds;
    for (const malformed of [42, null, {}, { id: 'P-1' }, [], [1, 2], true, '', ['']]) {
      expect(of(malformed)).toEqual([]);
    }
    // Absent is the only way to be unrestricted.
    expect(
      principalFromClaims({ roles: ['reader'] }, mapping('roles'), 'oidc').patientIds,
    ).toBeUndefined();
  });

  it('uses `sub` as the identity, "unknown" when it is not a string', () => {
    expect(principalFromClaims({ sub: 'abc' }, mapping('roles'), 'oidc').id).toBe('abc');
    expect(principalFromClaims({ sub: 7 }, mapping('roles'), 'oidc').id).toBe('unknown');
  });
});
