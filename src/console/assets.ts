import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { standardKeywords } from '../dicom/tag.js';

/**
 * The console's files, read once at start-up and held in memory (about 150 KB with the
 * dictionary): the console's own ES modules from ui/, Preact and htm from node_modules, the
 * HTML shell with its import map, the settings the browser needs, and the PS3.6 keyword table.
 * No build step: the browser loads the modules as written.
 */
export interface Asset {
  body: Buffer;
  type: string;
  /** Strong validator over the bytes (RFC 9110 §8.8.3). */
  etag: string;
  cacheControl: string;
  /** The HTML shell: sent with the Content-Security-Policy. */
  shell: boolean;
}

/** What the browser is told (GET /console/config.json): nothing secret, nothing per user. */
export interface ConsoleSettings {
  dicomwebRoot: string;
  /** AUTH_METHODS: which sign-in forms to offer (`account`, `api-key`, `oidc`). */
  methods: readonly string[];
  /** OIDC with PKCE when CONSOLE_OIDC_CLIENT_ID and AUTH_OIDC_ISSUER are both set. */
  oidc?: { issuer: string; clientId: string; scopes: string } | undefined;
  /** CONSOLE_VIEWER_URL with its {StudyInstanceUID} placeholder. */
  viewerUrl?: string | undefined;
}

/** RFC 9239 (JavaScript), RFC 2318 (CSS): text types carry their charset. */
const MEDIA_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Revalidated on every load (a cheap 304 with the ETag), so an upgrade of Strata is picked up at
 * once: the modules are not content-addressed, and a stale module beside a fresh one breaks.
 */
const REVALIDATE = 'no-cache';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const require = createRequire(import.meta.url);

/** Where the import map sends bare specifiers: the ESM builds of the installed packages. */
const VENDOR: Record<string, { url: string; file: () => string }> = {
  preact: { url: '/console/vendor/preact.mjs', file: () => require.resolve('preact') },
  'preact/hooks': {
    url: '/console/vendor/hooks.mjs',
    file: () => require.resolve('preact/hooks'),
  },
  // htm's CommonJS entry sits beside its ES module build.
  htm: {
    url: '/console/vendor/htm.mjs',
    file: () => join(dirname(require.resolve('htm')), 'htm.mjs'),
  },
};

export interface ConsoleAssets {
  /** URL path → asset; `/` and `/console/callback` are the shell. */
  assets: ReadonlyMap<string, Asset>;
  /** The shell's Content-Security-Policy (hash of its one inline script, the import map). */
  contentSecurityPolicy: string;
}

export function loadConsoleAssets(settings: ConsoleSettings): ConsoleAssets {
  const assets = new Map<string, Asset>();
  const add = (path: string, body: Buffer, type: string, shell = false) =>
    assets.set(path, { body, type, etag: etagOf(body), cacheControl: REVALIDATE, shell });

  for (const name of readdirSync(UI_DIR)) {
    const type = MEDIA_TYPES[extname(name)];
    if (type === undefined || name === 'index.html') continue;
    add(`/console/app/${name}`, readFileSync(join(UI_DIR, name)), type);
  }
  for (const { url, file } of Object.values(VENDOR)) {
    add(url, readFileSync(file()), MEDIA_TYPES['.js']!);
  }
  add('/console/config.json', Buffer.from(JSON.stringify(settings)), MEDIA_TYPES['.json']!);
  add('/console/keywords.json', keywordTable(), MEDIA_TYPES['.json']!);

  const importMap = JSON.stringify({
    imports: Object.fromEntries(Object.entries(VENDOR).map(([name, { url }]) => [name, url])),
  });
  const html = readFileSync(join(UI_DIR, 'index.html'), 'utf8').replace(
    '<!-- import map -->',
    `<script type="importmap">${importMap}</script>`,
  );
  const shell = Buffer.from(html);
  add('/', shell, MEDIA_TYPES['.html']!, true);
  add('/console/callback', shell, MEDIA_TYPES['.html']!, true);

  return { assets, contentSecurityPolicy: policyOf(importMap, settings) };
}

/**
 * CSP Level 3: scripts only from here (plus the import map by its hash, since an import map
 * cannot be loaded from a file), no inline script or style, images from here and the blob: URLs
 * the console makes of authenticated fetches, requests only to here and the OIDC issuer (its
 * discovery and token endpoints), never framed, no <base>, forms only to here.
 */
function policyOf(importMap: string, settings: ConsoleSettings): string {
  const hash = createHash('sha256').update(importMap).digest('base64');
  const connect = ["'self'"];
  if (settings.oidc) connect.push(new URL(settings.oidc.issuer).origin);
  return [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** `{"00100010":"PatientName",…}`: the tag table names elements by their PS3.6 keyword. */
function keywordTable(): Buffer {
  return Buffer.from(JSON.stringify(Object.fromEntries(standardKeywords())));
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}
