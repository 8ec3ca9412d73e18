import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { RouteTable } from '../web/access.js';
import { loadConsoleAssets, type ConsoleSettings } from './assets.js';
import { registerConsoleRoutes } from './console.routes.js';

function appWith(settings: Partial<ConsoleSettings> = {}): Hono {
  const app = new Hono();
  registerConsoleRoutes(
    new RouteTable(app),
    loadConsoleAssets({ dicomwebRoot: '/dicom-web', methods: ['account'], ...settings }),
  );
  app.notFound((c) => c.text('no route', 404));
  return app;
}

describe('#14: the web console files', () => {
  const app = appWith();

  it('serves the shell at / with a strict CSP that admits its import map by hash only', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(html)?.[1];
    expect(importMap).toBeDefined();
    const hash = createHash('sha256').update(importMap!).digest('base64');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // The OIDC callback is the same page.
    expect(await (await app.request('/console/callback')).text()).toBe(html);
  });

  it('serves every module the console imports, each with its media type', async () => {
    const html = await (await app.request('/')).text();
    const importMap = JSON.parse(/<script type="importmap">([^<]*)<\/script>/.exec(html)![1]!) as {
      imports: Record<string, string>;
    };
    const pending = ['/console/app/main.js', ...Object.values(importMap.imports)];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('text/javascript; charset=utf-8');
      const source = await response.text();
      for (const [, spec] of source.matchAll(/\bimport\s*[^;'"]*?from\s*["']([^"']+)["']/g)) {
        if (spec!.startsWith('./')) pending.push(new URL(spec!, `http://x${path}`).pathname);
        else expect(importMap.imports[spec!], `${path} imports ${spec}`).toBeDefined();
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    const css = await app.request('/console/app/console.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match and revalidates on every load', async () => {
    const first = await app.request('/console/app/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await app.request('/console/app/app.js', {
      headers: { 'If-None-Match': `"other", W/${etag}` },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const changed = await app.request('/console/app/app.js', {
      headers: { 'If-None-Match': '"other"' },
    });
    expect(changed.status).toBe(200);
  });

  it('tells the browser only the settings it needs, and the PS3.6 keywords', async () => {
    const config = await (await app.request('/console/config.json')).json();
    expect(config).toEqual({ dicomwebRoot: '/dicom-web', methods: ['account'] });
    const keywords = (await (await app.request('/console/keywords.json')).json()) as Record<
      string,
      string
    >;
    expect(keywords['00100010']).toBe('PatientName');
    expect(keywords['7FE00010']).toBe('PixelData');
  });

  it('allows requests to the OIDC issuer only when OIDC sign-in is configured', async () => {
    const oidc = appWith({
      methods: ['oidc'],
      oidc: { issuer: 'https://idp.example.org/realms/x', clientId: 'console', scopes: 'openid' },
      viewerUrl: 'https://viewer.example.org/?StudyInstanceUIDs={StudyInstanceUID}',
    });
    const csp = (await oidc.request('/')).headers.get('content-security-policy')!;
    expect(csp).toContain("connect-src 'self' https://idp.example.org;");
    const config = (await (await oidc.request('/console/config.json')).json()) as any;
    expect(config.oidc.clientId).toBe('console');
    expect(config.viewerUrl).toContain('{StudyInstanceUID}');
  });

  it('falls through to not found for anything else under /console/', async () => {
    for (const path of ['/console/app/nope.js', '/console/app/../assets.ts', '/console/']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });
});
