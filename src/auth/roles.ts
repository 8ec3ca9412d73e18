import { ACTIONS, type Action } from './principal.js';

/**
 * Role name → actions. Role names arrive from a token claim (OIDC), an API key or an account;
 * AUTH_ROLE_MAP can rename or add roles so Keycloak or Entra role names work without code.
 */
export type RoleMap = ReadonlyMap<string, ReadonlySet<Action>>;

/**
 * The built-in roles. `uploader` is what a modality or gateway needs (STOW only, cannot read
 * back); `writer` also reads (a workstation that stores results); `editor` may also delete;
 * `admin` holds every action.
 */
export const DEFAULT_ROLES: RoleMap = new Map<string, ReadonlySet<Action>>([
  ['reader', new Set<Action>(['read'])],
  ['uploader', new Set<Action>(['write'])],
  ['writer', new Set<Action>(['read', 'write'])],
  ['editor', new Set<Action>(['read', 'write', 'delete'])],
  ['admin', new Set<Action>(ACTIONS)],
]);

/** The union of the actions of every known role; unknown role names grant nothing. */
export function actionsOf(roles: readonly string[], map: RoleMap): Set<Action> {
  const actions = new Set<Action>();
  for (const role of roles) for (const action of map.get(role) ?? []) actions.add(action);
  return actions;
}

/**
 * Parses `name=action+action,name=action` (AUTH_ROLE_MAP) on top of the defaults. Returns a
 * problem string for a config error, or the map.
 */
export function parseRoleMap(text: string, base: RoleMap = DEFAULT_ROLES): RoleMap | string {
  const map = new Map(base);
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) return `"${entry}" is not name=action+action`;
    const name = entry.slice(0, eq).trim();
    const actions = entry
      .slice(eq + 1)
      .split('+')
      .map((a) => a.trim());
    const unknown = actions.find((a) => !(ACTIONS as readonly string[]).includes(a));
    if (unknown !== undefined)
      return `role "${name}": unknown action "${unknown}" (${ACTIONS.join(', ')})`;
    map.set(name, new Set(actions as Action[]));
  }
  return map;
}
