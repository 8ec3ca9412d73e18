/**
 * The deployment files, checked without Docker or Helm (neither runs here): compose.yaml, the
 * Dockerfile, the OHIF and Keycloak configuration it mounts, and the Helm chart's values and
 * templates. What is checked is what breaks a `docker compose up` or a `helm install` silently:
 * a misspelt variable Strata never reads, a value it refuses, ports and healthchecks that do not
 * match, an undeclared volume, a viewer or realm pointing somewhere else.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import { loadConfig } from '../src/config/config.js';
import { ENV_SETTINGS } from '../src/config/table.js';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const KNOWN = new Set(ENV_SETTINGS.map((s) => s.env));

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
  entrypoint?: string[];
}
const compose = parse(read('compose.yaml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const strata = services['strata']!;
const env = strata.environment!;

/** `host:container` port mappings of a service. */
function published(service: Service): Map<number, number> {
  return new Map(
    (service.ports ?? []).map((p) => {
      const [host, container] = p.split(':').map(Number);
      return [container!, host!];
    }),
  );
}

describe('#14: compose.yaml', () => {
  it('#14: has Strata, PostgreSQL, MinIO with its bucket step, OHIF and Keycloak', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['keycloak', 'minio', 'minio-init', 'ohif', 'postgres', 'strata'].sort(),
    );
    expect(strata.build).toBe('.');
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'strata') expect(service.image, name).toMatch(/:[\w.-]+$/);
    }
  });

  it('#14: every variable given to Strata is one it reads, and its configuration loads', () => {
    const unknown = Object.keys(env).filter((name) => !KNOWN.has(name));
    expect(unknown).toEqual([]);
    // The values themselves pass Strata's own validation (URLs, lists, bounds, secret lengths).
    const config = loadConfig(env);
    expect(config.databaseUrl).toBeDefined();
    expect(config.storage.tiers[0]?.backend.kind).toBe('s3');
    expect(config.auth.methods).toContain('oidc');
  });

  it('#14: ports, healthchecks and dependencies agree', () => {
    const port = Number(env['PORT']);
    expect(published(strata).get(port)).toBe(8080);
    expect(new URL(env['PUBLIC_BASE_URL']!).port).toBe(String(published(strata).get(port)));
    expect(strata.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${port}/readyz`);
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} → ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(
            services[dependency]!.healthcheck,
            `${dependency} has a healthcheck`,
          ).toBeDefined();
        }
      }
    }
    expect(strata.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'minio-init': { condition: 'service_completed_successfully' },
      keycloak: { condition: 'service_healthy' },
    });
  });

  it('#14: named volumes are declared, bind mounts exist, DATA_DIR is a volume', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source, target] = volume.split(':');
        if (source!.startsWith('.')) expect(existsSync(join(ROOT, source!)), volume).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: ${volume}`).toContain(source);
        expect(target, volume).toMatch(/^\//);
      }
    }
    const dataDir = env['DATA_DIR'] ?? '/data'; // the Dockerfile's DATA_DIR
    expect(strata.volumes!.map((v) => v.split(':')[1])).toContain(dataDir);
  });

  it('#14: PostgreSQL and MinIO settings match the services Strata is given', () => {
    const db = new URL(env['DATABASE_URL']!);
    const pg = services['postgres']!.environment!;
    expect(db.hostname).toBe('postgres');
    expect(db.username).toBe(pg['POSTGRES_USER']);
    expect(db.password).toBe(pg['POSTGRES_PASSWORD']);
    expect(db.pathname).toBe(`/${pg['POSTGRES_DB']}`);
    const minio = services['minio']!.environment!;
    expect(new URL(env['S3_ENDPOINT']!).host).toBe('minio:9000');
    expect(env['AWS_ACCESS_KEY_ID']).toBe(minio['MINIO_ROOT_USER']);
    expect(env['AWS_SECRET_ACCESS_KEY']).toBe(minio['MINIO_ROOT_PASSWORD']);
    const init = services['minio-init']!.entrypoint!.join(' ');
    expect(init).toContain(`mc mb --ignore-existing local/${env['S3_BUCKET']}`);
    expect(init).toContain(`${minio['MINIO_ROOT_USER']} ${minio['MINIO_ROOT_PASSWORD']}`);
  });

  it('#14: OHIF points at Strata’s published DICOMweb root and signs in with the realm', () => {
    const ohif = services['ohif']!;
    const mount = ohif.volumes!.find((v) => v.endsWith('/usr/share/nginx/html/app-config.js:ro'));
    expect(mount).toBeDefined();
    const sandbox: { window: { config?: any } } = { window: {} };
    runInNewContext(read(mount!.split(':')[0]!), sandbox);
    const config = sandbox.window.config;
    const source = config.dataSources.find(
      (d: any) => d.sourceName === config.defaultDataSourceName,
    );
    const root = `${env['PUBLIC_BASE_URL']}${env['DICOMWEB_ROOT'] ?? '/dicom-web'}`;
    for (const key of ['qidoRoot', 'wadoRoot', 'wadoUriRoot']) {
      expect(source.configuration[key], key).toBe(root);
    }
    expect(config.oidc[0].authority).toBe(env['AUTH_OIDC_ISSUER']);
    // OHIF's origin may store and delete (CORS_ORIGINS names it), and is the client's origin.
    const origin = `http://localhost:${published(ohif).get(80)}`;
    expect(env['CORS_ORIGINS']!.split(',')).toContain(origin);
    const client = realm.clients.find((c: any) => c.clientId === config.oidc[0].client_id);
    expect(client, 'OHIF client in the realm').toBeDefined();
    expect(client.webOrigins).toContain(origin);
    expect(client.publicClient).toBe(true);
    expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
  });

  const realm = JSON.parse(read('deploy/keycloak/strata-realm.json'));

  it('#14: the Keycloak realm is the issuer Strata trusts, with its clients, audience and roles', () => {
    const keycloak = services['keycloak']!;
    expect(keycloak.volumes).toContain('./deploy/keycloak:/opt/keycloak/data/import:ro');
    const issuer = new URL(env['AUTH_OIDC_ISSUER']!);
    expect(issuer.pathname).toBe(`/realms/${realm.realm}`);
    // Browsers and Strata reach Keycloak at one URL (the tokens' `iss`).
    expect(`${issuer.protocol}//${issuer.host}`).toBe(keycloak.environment!['KC_HOSTNAME']);
    expect(keycloak.command).toContain(`--http-port=${issuer.port}`);
    expect(published(keycloak).get(Number(issuer.port))).toBe(Number(issuer.port));
    expect(realm.clients.map((c: any) => c.clientId).sort()).toEqual(
      ['ohif-viewer', 'strata-console'].sort(),
    );
    for (const client of realm.clients) {
      const mappers = client.protocolMappers as any[];
      const audience = mappers.find((m) => m.protocolMapper === 'oidc-audience-mapper');
      expect(audience.config['included.custom.audience']).toBe(env['AUTH_OIDC_AUDIENCE']);
      const roles = mappers.find((m) => m.protocolMapper === 'oidc-usermodel-realm-role-mapper');
      expect(roles.config['claim.name']).toBe(env['AUTH_ROLES_CLAIM']);
      expect(roles.config['access.token.claim']).toBe('true');
    }
    const roles = realm.roles.realm.map((r: any) => r.name);
    for (const role of roles) expect(DEFAULT_ROLES.has(role), role).toBe(true);
    for (const user of realm.users) {
      for (const role of user.realmRoles) expect(roles).toContain(role);
    }
  });
});

describe('#14: Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('#14: copies what the server needs and runs it as the package says', () => {
    for (const [, path] of dockerfile.matchAll(/^COPY (\S+)/gm)) {
      for (const part of path!.split(' ')) expect(existsSync(join(ROOT, part)), part).toBe(true);
    }
    const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\//gm)].map((m) => m[1]);
    expect(copied).toEqual(expect.arrayContaining(['tsconfig.json', 'bin', 'src', 'migrations']));
    // `npm ci --omit=dev`: what the entry point loads must be a runtime dependency.
    const pkg = JSON.parse(read('package.json'));
    expect(dockerfile).toContain('npm ci --omit=dev');
    // Compiled in the image (bin/build.mjs needs esbuild at runtime-dependency level) and run
    // as plain JavaScript, as `npm start` does.
    expect(dockerfile).toMatch(/^RUN node bin\/build\.mjs$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    expect(pkg.dependencies.esbuild).toBeDefined();
    expect(pkg.scripts.start).toBe('node dist/main.js serve');
    expect(pkg.scripts.prestart).toBe('node bin/build.mjs');
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
    expect(dockerfile).toMatch(/^\s+PORT=8080 \\$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/DATA_DIR=\/data$/m);
    expect(dockerfile).toContain("'/readyz'");
    for (const [, name] of dockerfile.matchAll(/^\s+([A-Z_]+)=/gm)) {
      if (name !== 'NODE_ENV') expect(KNOWN.has(name), name).toBe(true);
    }
  });
});

describe('#14: Helm chart', () => {
  const chart = 'deploy/helm/strata';
  const values = parse(read(`${chart}/values.yaml`));
  const templates = readdirSync(join(ROOT, chart, 'templates')).map((f) =>
    read(`${chart}/templates/${f}`),
  );
  const all = templates.join('\n');

  it('#14: runs several replicas with /readyz readiness and /healthz liveness', () => {
    expect(parse(read(`${chart}/Chart.yaml`)).name).toBe('strata');
    expect(values.replicaCount).toBeGreaterThanOrEqual(2);
    const deployment = read(`${chart}/templates/deployment.yaml`);
    expect(deployment).toMatch(/readinessProbe:\s+httpGet:\s+path: \/readyz/);
    expect(deployment).toMatch(/livenessProbe:\s+httpGet:\s+path: \/healthz/);
    expect(deployment).toContain('replicas: {{ .Values.replicaCount }}');
    expect(all).toContain('kind: Service');
    expect(all).toContain('kind: Ingress');
    expect(all).toContain('kind: Secret');
    expect(all).toContain('kind: ConfigMap');
  });

  it('#14: every setting the chart passes is one Strata reads', () => {
    const names = [
      ...Object.keys(values.env),
      ...Object.keys(values.secretEnv),
      ...[...all.matchAll(/- name: ([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!),
    ];
    expect(names.filter((n) => !KNOWN.has(n))).toEqual([]);
    expect(Object.keys(values.secretEnv)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'AUDIT_PSEUDONYM_KEY']),
    );
    // The templates read only values that exist.
    for (const [, path] of all.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) {
      let node: any = values;
      for (const key of path!.split('.')) node = node?.[key];
      expect(node, `.Values.${path}`).not.toBeUndefined();
    }
    // With the chart's values and a database, the configuration loads.
    const config = loadConfig({
      ...values.env,
      S3_ENDPOINT: undefined,
      DATABASE_URL: 'postgres://strata@db/strata',
      AUDIT_PSEUDONYM_KEY: 'x'.repeat(32),
    });
    expect(config.storage.tiers[0]?.backend.kind).toBe('s3');
  });
});
