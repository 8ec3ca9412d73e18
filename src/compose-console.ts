import { loadConsoleAssets, type ConsoleAssets } from './console/assets.js';
import type { Config } from './config/config.js';

/** The web console's files and browser settings (CONSOLE_*), or none when CONSOLE_ENABLED=false. */
export function consoleAssetsOf(config: Config): ConsoleAssets | undefined {
  if (!config.console.enabled) return undefined;
  const methods = config.auth.methods;
  const issuer = config.auth.oidcIssuer;
  const clientId = config.console.oidcClientId;
  return loadConsoleAssets({
    dicomwebRoot: config.dicomwebRoot,
    methods,
    oidc:
      methods.includes('oidc') && issuer && clientId
        ? { issuer, clientId, scopes: config.console.oidcScopes }
        : undefined,
    viewerUrl: config.console.viewerUrl,
  });
}
