import { resolve } from 'node:path';
import { readConfigFile, type HsmConfig } from './config-file.js';
import { ConfigError } from './errors.js';
import {
  CONFIG_FILE,
  DATABASE,
  HTTP,
  QIDO,
  QIDO_DEFAULT_LIMIT,
  RENDER,
  SERVER,
  STOW,
  SWEEPER,
} from './server-settings.js';
import { DIMSE_SCU } from './dimse-scu-settings.js';
import { AUDIT, AUTH, TLS } from './security-settings.js';
import { OBSERVABILITY } from './observability-settings.js';
import { CONSOLE } from './console-settings.js';
import { EVENTS } from './events-settings.js';
import { DIMSE, parseRemoteAe, type RemoteAeConfig } from './dimse-settings.js';
import { envSource, readSettings, type Env, type Values } from './setting.js';
import { storageConfigFromEnv, type StorageConfig } from './storage.js';
import { UPLOAD } from './upload-settings.js';

/**
 * Configuration: environment variables → a typed, validated Config, read once at start-up.
 * Each setting is declared once (server-settings.ts, storage-settings.ts); the README
 * "Configuration" table is rendered from the declarations. A bad value stops start-up with a
 * message naming the variable. Only compose.ts and cli/ read Config; modules get plain options.
 */
export type Config = Values<typeof SERVER> & {
  database: Values<typeof DATABASE>;
  http: Values<typeof HTTP>;
  stow: Values<typeof STOW>;
  qido: { defaultLimit: number; maxLimit: number };
  render: Values<typeof RENDER>;
  sweeper: Values<typeof SWEEPER>;
  /** Storage tiers (the first receives new instances) and encryption at rest. */
  storage: StorageConfig;
  /** Tiers, policies and recall from the STRATA_CONFIG file; undefined without one. */
  hsm: HsmConfig | undefined;
  /** Authentication, roles, rate limits (README "Security"). */
  auth: Values<typeof AUTH>;
  audit: Values<typeof AUDIT>;
  tls: Values<typeof TLS>;
  /** Resumable uploads (tus) waiting in DATA_DIR/uploads. */
  uploads: Values<typeof UPLOAD>;
  /** Metrics protection and tracing (README "Observability"). */
  observability: Values<typeof OBSERVABILITY>;
  /** The web console (README "Web console"). */
  console: Values<typeof CONSOLE>;
  /** Change feed, event streams and webhooks. */
  events: Values<typeof EVENTS>;
  /** The DIMSE listener (README "DIMSE"); `port` undefined = off. */
  dimse: Omit<Values<typeof DIMSE>, 'remoteAes'> & { remoteAes: RemoteAeConfig[] };
  /** DIMSE as an SCU: timeouts and batch size (README "DIMSE"). */
  dimseScu: Values<typeof DIMSE_SCU>;
};

export function loadConfig(env: Env = process.env): Config {
  const source = envSource(env);
  const server = readSettings(SERVER, source);
  const config: Config = {
    ...server,
    database: readSettings(DATABASE, source),
    http: readSettings(HTTP, source),
    stow: readSettings(STOW, source),
    qido: qidoConfig(readSettings(QIDO, source)),
    render: readSettings(RENDER, source),
    sweeper: readSettings(SWEEPER, source),
    storage: storageConfigFromEnv(env, server.dataDir),
    hsm: undefined,
    auth: readSettings(AUTH, source),
    audit: readSettings(AUDIT, source),
    tls: readSettings(TLS, source),
    uploads: readSettings(UPLOAD, source),
    observability: readSettings(OBSERVABILITY, source),
    console: readSettings(CONSOLE, source),
    events: readSettings(EVENTS, source),
    dimse: dimseConfig(readSettings(DIMSE, source)),
    dimseScu: readSettings(DIMSE_SCU, source),
  };
  // A STRATA_CONFIG file's tiers replace the environment's single backend.
  const configFile = CONFIG_FILE.read(source);
  if (configFile !== undefined) {
    const file = readConfigFile(resolve(configFile));
    if (file.storage) {
      config.storage = { ...config.storage, tiers: file.storage.tiers };
      config.hsm = file.storage.hsm;
    }
    config.dimse = withRemoteAes(config.dimse, file.remoteAes);
  }
  return config;
}

function qidoConfig({ defaultLimit, maxLimit }: Values<typeof QIDO>): Config['qido'] {
  if (defaultLimit === undefined) {
    return { defaultLimit: Math.min(QIDO_DEFAULT_LIMIT, maxLimit), maxLimit };
  }
  if (defaultLimit > maxLimit) {
    throw new ConfigError(
      QIDO.defaultLimit.env!,
      `must be at most ${QIDO.maxLimit.env!} (${maxLimit})`,
    );
  }
  return { defaultLimit, maxLimit };
}

/** Known remote AEs parsed (DIMSE_REMOTE_AES was checked when read); a title listed twice is a mistake. */
function dimseConfig(values: Values<typeof DIMSE>): Config['dimse'] {
  const remoteAes = values.remoteAes.map((entry) => parseRemoteAe(entry) as RemoteAeConfig);
  return { ...values, remoteAes: checkUnique(remoteAes, 'DIMSE_REMOTE_AES') };
}

/** The STRATA_CONFIG file's remote AEs join DIMSE_REMOTE_AES's; a title in both is a mistake. */
function withRemoteAes(dimse: Config['dimse'], more: RemoteAeConfig[]): Config['dimse'] {
  if (more.length === 0) return dimse;
  const remoteAes = checkUnique([...dimse.remoteAes, ...more], CONFIG_FILE.env!);
  return { ...dimse, remoteAes };
}

function checkUnique(remoteAes: RemoteAeConfig[], variable: string): RemoteAeConfig[] {
  const titles = new Set<string>();
  for (const { aeTitle } of remoteAes) {
    if (titles.has(aeTitle)) throw new ConfigError(variable, `${aeTitle} is listed twice`);
    titles.add(aeTitle);
  }
  return remoteAes;
}
