import { boolean, string } from './setting.js';

/**
 * The web console (README "Web console"): served at `/` by Strata itself. Declared once here;
 * the README table is rendered from these declarations.
 */
export const CONSOLE = {
  enabled: boolean({
    env: 'CONSOLE_ENABLED',
    default: true,
    help: 'serve the web console at `/` (its pages and scripts only; all data comes from the authenticated APIs)',
  }),
  oidcClientId: string({
    env: 'CONSOLE_OIDC_CLIENT_ID',
    help: "the console's client id at `AUTH_OIDC_ISSUER` (a public client, authorization code with PKCE, redirect URI `<server>/console/callback`). Unset → no OIDC sign-in button",
  }),
  oidcScopes: string({
    env: 'CONSOLE_OIDC_SCOPES',
    default: 'openid profile',
    help: 'scopes the console asks for at sign-in (space-separated)',
  }),
  viewerUrl: string({
    env: 'CONSOLE_VIEWER_URL',
    values: 'http(s) URL with `{StudyInstanceUID}`',
    check: (value) =>
      !/^https?:\/\/[^/\s]+/.test(value)
        ? 'must be an http:// or https:// URL'
        : value.includes('{StudyInstanceUID}')
          ? undefined
          : 'must contain {StudyInstanceUID}',
    help: 'a viewer link per study, e.g. `https://ohif.example.org/viewer?StudyInstanceUIDs={StudyInstanceUID}`. Unset → no "open in viewer" link',
  }),
};
