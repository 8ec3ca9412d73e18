import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

/**
 * OHIF Viewer v3 as a real DICOMweb client in tests: its prebuilt `dist/` from the npm package
 * (fetched once with `npm pack`, not a dependency: @ohif/app would pull hundreds of packages),
 * served by a small static server with an `app-config.js` that points at a Strata server.
 */
export const OHIF_VERSION = '3.13.2';

/** Debian's Chromium (`apt-get install chromium`), driven by playwright-core. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

const run = promisify(execFile);
const cacheRoot = resolve(import.meta.dirname, '../../node_modules/.cache/strata-ohif');

/**
 * The folder holding OHIF's built viewer (index.html and bundles), fetched and extracted on
 * first use into node_modules/.cache; a reason string when it cannot be had (offline).
 */
export async function ohifDist(): Promise<{ dir: string } | { reason: string }> {
  const dir = join(cacheRoot, OHIF_VERSION, 'dist');
  if (existsSync(join(dir, 'index.html'))) return { dir };
  await mkdir(join(cacheRoot, OHIF_VERSION), { recursive: true });
  // Unpacked beside the cache and renamed into place, so a cut-off fetch leaves no half folder.
  const work = await mkdtemp(join(cacheRoot, 'fetch-'));
  try {
    const { stdout } = await run(
      'npm',
      [
        'pack',
        `@ohif/app@${OHIF_VERSION}`,
        ...['--pack-destination', work, '--json', '--silent'],
        // One quick retry: an offline machine skips the test in seconds, not minutes.
        ...['--fetch-retries=1', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000'],
      ],
      { timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) return { reason: 'npm pack named no tarball' };
    await run('tar', ['-xzf', join(work, packed.filename), '-C', work, 'package/dist'], {
      timeout: 180_000,
    });
    await rename(join(work, 'package', 'dist'), dir).catch((err: NodeJS.ErrnoException) => {
      // Another test run put it there first.
      if (!existsSync(join(dir, 'index.html'))) throw err;
    });
    return { dir };
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim().split('\n')[0] || 'offline?';
    return { reason: `npm pack @ohif/app@${OHIF_VERSION} failed (${why})` };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * OHIF's configuration with one DICOMweb data source at `dicomWebBase` (shape of the package's
 * own dist/app-config.js). Strata answers includefield, fuzzy matching and wildcards.
 *
 * With `bearerToken`, OHIF sends `Authorization: Bearer <token>` on every DICOMweb request, the
 * way a site without OHIF's own OpenID Connect sign-in supplies a token: an extension (listed
 * inline; OHIF loads non-string `extensions` entries as they are) whose `preRegistration` hook
 * gives the userAuthenticationService a getAuthorizationHeader. OHIF's DICOMweb data source asks
 * that service for the header before each QIDO and WADO request. (`?token=` in the URL does the
 * same, but only on a viewer route, not on the study list.)
 */
export function ohifAppConfig(
  dicomWebBase: string,
  options: { bearerToken?: string } = {},
): string {
  const config = {
    routerBasename: '/',
    extensions: [],
    modes: [],
    customizationService: {},
    showStudyList: true,
    maxNumberOfWebWorkers: 1,
    showWarningMessageForCrossOrigin: false,
    showCPUFallbackMessage: false,
    showLoadingIndicator: true,
    investigationalUseDialog: { option: 'never' },
    showErrorDetails: 'always',
    defaultDataSourceName: 'strata',
    dataSources: [
      {
        namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
        sourceName: 'strata',
        configuration: {
          friendlyName: 'Strata',
          name: 'strata',
          wadoUriRoot: dicomWebBase,
          qidoRoot: dicomWebBase,
          wadoRoot: dicomWebBase,
          qidoSupportsIncludeField: true,
          supportsFuzzyMatching: true,
          supportsWildcard: true,
          imageRendering: 'wadors',
          thumbnailRendering: 'wadors',
          enableStudyLazyLoad: true,
          omitQuotationForMultipartRequest: true,
          bulkDataURI: { enabled: true },
        },
      },
    ],
  };
  const base = `window.config = ${JSON.stringify(config, null, 2)};\n`;
  if (options.bearerToken === undefined) return base;
  return `${base}
window.config.extensions.push({
  id: 'strata-test-bearer-token',
  preRegistration({ servicesManager }) {
    const authorization = { Authorization: 'Bearer ' + ${JSON.stringify(options.bearerToken)} };
    servicesManager.services.userAuthenticationService.setServiceImplementation({
      getAuthorizationHeader: () => authorization,
    });
  },
});
`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `dir` on a random port of 127.0.0.1, `/app-config.js` from `appConfig` (a function is
 * asked on every request, so a test can change the configuration between page loads), and
 * index.html for any other path without a file (OHIF routes in the browser).
 */
export async function serveOhif(
  dir: string,
  appConfig: string | (() => string),
): Promise<StaticSite> {
  const root = resolve(dir);
  // A path without a file extension is one of OHIF's routes: its index.html.
  const fileFor = (path: string): string => {
    const file = normalize(join(root, path));
    const isFile = statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
    return file.startsWith(root + sep) && (isFile || extname(path) !== '')
      ? file
      : join(root, 'index.html');
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/app-config.js' ? undefined : fileFor(path);
    const config = () => (typeof appConfig === 'string' ? appConfig : appConfig());
    (file ? readFile(file) : Promise.resolve(Buffer.from(config()))).then(
      (body) => {
        const type = CONTENT_TYPES[extname(file ?? path)] ?? 'application/octet-stream';
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
