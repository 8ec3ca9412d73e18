import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * #14: what the web console needs of the HTTP API beyond DICOMweb, over real HTTP: who am I
 * (GET /auth/whoami), API keys and users for admins (/admin/api-keys, /admin/users), each change
 * recorded as a Security Alert with the admin who made it, and verify runs (/admin/verify).
 * Also: the console at / leaves DICOMweb alone, and CONSOLE_ENABLED=false removes it.
 */
const ADMIN_TOKEN = 'console-admin-token-0123456789';
const PASSWORD = 'console-api-password-1';
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ AUTH_METHODS: 'account,api-key', ADMIN_TOKEN });
});
afterAll(async () => {
  await server?.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = admin) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function signIn(username: string): Promise<Response> {
  return fetch(`${server.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }),
  });
}

async function whoami(authorization?: string) {
  const response = await fetch(`${server.url}/auth/whoami`, {
    headers: authorization ? { Authorization: authorization } : {},
  });
  return { status: response.status, body: (await response.json()) as any, response };
}

describe('#14: the console API', () => {
  it('GET /auth/whoami tells a caller who it is and what it may do, and nothing to others', async () => {
    const nobody = await whoami();
    expect(nobody.status).toBe(200);
    expect(nobody.body).toMatchObject({ authenticated: false, actions: [] });
    expect(nobody.response.headers.get('cache-control')).toBe('no-store');
    expect((await whoami('Bearer strata_not-a-key')).status).toBe(401);
    const root = await whoami(`Bearer ${ADMIN_TOKEN}`);
    expect(root.body).toMatchObject({
      authenticated: true,
      method: 'admin-token',
      actions: ['admin'],
    });
  });

  it('an admin adds a user who then signs in; disabled, the user cannot; all recorded', async () => {
    const reader = await post('/admin/users', {
      username: 'Reader1',
      password: PASSWORD,
      roles: ['reader'],
      totpRequired: true,
    });
    expect(reader.status).toBe(201);
    const created = (await reader.json()) as any;
    expect(created.username).toBe('reader1');
    expect(created.totp.secret).toMatch(/^[A-Z2-7]+$/);

    const plain = await post('/admin/users', {
      username: 'plain',
      password: PASSWORD,
      roles: ['editor'],
    });
    expect(plain.status).toBe(201);
    expect(await plain.json()).toEqual({ username: 'plain' });
    expect((await post('/admin/users', { username: 'plain', password: PASSWORD })).status).toBe(
      400,
    );
    expect(
      (await post('/admin/users', { username: 'x', password: PASSWORD, roles: 'admin' })).status,
    ).toBe(400);

    const grant = (await (await signIn('plain')).json()) as any;
    const me = await whoami(`Bearer ${grant.access_token}`);
    expect(me.body).toMatchObject({
      id: 'plain',
      method: 'account',
      actions: ['read', 'write', 'delete'],
    });
    // An editor is no admin.
    const forbidden = await fetch(`${server.url}/admin/users`, {
      headers: { Authorization: `Bearer ${grant.access_token}` },
    });
    expect(forbidden.status).toBe(403);

    const listed = (await (
      await fetch(`${server.url}/admin/users`, { headers: admin })
    ).json()) as any;
    const users = listed.users.map((u: any) => [u.username, u.totp, u.disabled]);
    expect(users.sort()).toEqual([
      ['plain', 'off', false],
      ['reader1', 'required', false],
    ]);

    expect((await post('/admin/users/plain/disable', {})).status).toBe(204);
    expect((await signIn('plain')).status).toBe(400);
    expect((await post('/admin/users/nobody/disable', {})).status).toBe(400);
    expect((await post('/admin/users/plain/enable', {})).status).toBe(204);
    expect((await signIn('plain')).status).toBe(200);

    const changes = await securityChanges();
    expect(changes).toEqual(
      expect.arrayContaining([
        { change: 'account-added', target: 'reader1', user: 'admin-token' },
        { change: 'account-added', target: 'plain', user: 'admin-token' },
        { change: 'account-disabled', target: 'plain', user: 'admin-token' },
        { change: 'account-enabled', target: 'plain', user: 'admin-token' },
      ]),
    );
    // The password and the TOTP secret are in no record.
    const trail = JSON.stringify(
      await (await fetch(`${server.url}/admin/audit?limit=1000`, { headers: admin })).json(),
    );
    expect(trail).not.toContain(PASSWORD);
    expect(trail).not.toContain(created.totp.secret);
  });

  it('an admin creates an API key that works at once and stops working when revoked', async () => {
    const response = await post('/admin/api-keys', { name: 'modality-1', role: 'uploader' });
    expect(response.status).toBe(201);
    const key = (await response.json()) as any;
    expect(key.key).toMatch(/^strata_/);
    const me = await whoami(`Bearer ${key.key}`);
    expect(me.body).toMatchObject({ id: 'modality-1', method: 'api-key', actions: ['write'] });

    const listed = (await (
      await fetch(`${server.url}/admin/api-keys`, { headers: admin })
    ).json()) as any;
    expect(listed.keys.map((k: any) => k.name)).toEqual(['modality-1']);
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect((await post('/admin/api-keys', { name: 'bad', role: 'nobody' })).status).toBe(400);

    const revoked = await fetch(`${server.url}/admin/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(revoked.status).toBe(200);
    expect((await whoami(`Bearer ${key.key}`)).status).toBe(401);
    const again = await fetch(`${server.url}/admin/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(again.status).toBe(400);

    const changes = await securityChanges();
    expect(changes).toEqual(
      expect.arrayContaining([
        { change: 'api-key-created', target: 'modality-1', user: 'admin-token' },
        { change: 'api-key-revoked', target: 'modality-1', user: 'admin-token' },
      ]),
    );
  });

  it('an admin starts a verify run and reads its report', async () => {
    expect(
      (await (await fetch(`${server.url}/admin/verify`, { headers: admin })).json()) as any,
    ).toEqual({
      running: null,
      last: null,
    });
    const started = await fetch(`${server.url}/admin/verify?checksums=true`, {
      method: 'POST',
      headers: admin,
    });
    expect(started.status).toBe(202);
    let status: any;
    for (let i = 0; i < 100; i++) {
      status = await (await fetch(`${server.url}/admin/verify`, { headers: admin })).json();
      if (status.last) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.last).toMatchObject({
      checksums: true,
      failed: null,
      report: { ok: true, missing: 0 },
    });
  });

  it('the console at / leaves DICOMweb and unknown paths as they were', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${server.base}/studies`)).status).toBe(401);
    expect((await fetch(`${server.url}/nothing-here`)).status).toBe(404);
  });

  it('CONSOLE_ENABLED=false serves no console', async () => {
    const bare = await startTestServer({ CONSOLE_ENABLED: 'false' });
    try {
      expect((await fetch(`${bare.url}/`)).status).toBe(404);
      expect((await fetch(`${bare.url}/console/app/app.js`)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

/** The Security Alert records of changes to keys and accounts, as change, target and admin. */
async function securityChanges() {
  const response = await fetch(`${server.url}/admin/audit?event=110113&limit=100`, {
    headers: admin,
  });
  const { records } = (await response.json()) as any;
  return records
    .filter((r: any) => r.detail?.change)
    .map((r: any) => ({ change: r.detail.change, target: r.detail.target, user: r.userId }));
}
