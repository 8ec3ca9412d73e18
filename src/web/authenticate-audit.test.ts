import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AuditUnavailableError } from '../audit/errors.js';
import type { AuditEvent, AuditSink } from '../audit/event.js';
import { Authenticator } from '../auth/authenticate.js';
import { InvalidTokenError } from '../auth/errors.js';
import { DEFAULT_ROLES } from '../auth/roles.js';
import { createLogger } from '../lib/log.js';
import { authenticate } from './access.js';
import { problemResponse } from './problem.js';

/** A JWT without `iss`: the Authenticator hands it to the OIDC verifier. */
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

function appWith(reason: string, audit: AuditSink): Hono {
  const authenticator = new Authenticator({
    oidc: {
      verify: () => Promise.reject(new InvalidTokenError(reason)),
    },
    claims: { rolesClaim: 'roles', patientClaim: 'patient', roleMap: DEFAULT_ROLES },
    anonymous: new Set(),
  });
  const app = new Hono();
  app.use(authenticate(authenticator, audit));
  app.get('/', (c) => c.text('ok'));
  const log = createLogger('silent');
  app.onError((error, c) => problemResponse(error, c, log));
  return app;
}

function recorder(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (event) => Promise.resolve(void events.push(event)) };
}

describe('authenticate() and the audit trail', () => {
  it('#12: an expired token is recorded as a failed User Authentication, then answered 401', async () => {
    const sink = recorder();
    const res = await appWith('expired', sink).request('/', {
      headers: { Authorization: `Bearer ${JWT}` },
    });
    expect(res.status).toBe(401);
    expect(sink.events).toEqual([
      expect.objectContaining({
        type: 'user-authentication',
        subtype: 'login',
        outcome: 4,
        detail: { reason: 'expired' },
      }),
    ]);
    expect(sink.events[0]!.user).toBeUndefined();
  });

  it('#12: a bad signature is also recorded as a Security Alert', async () => {
    const sink = recorder();
    const res = await appWith('bad-signature', sink).request('/', {
      headers: { Authorization: `Bearer ${JWT}` },
    });
    expect(res.status).toBe(401);
    expect(sink.events.map((e) => e.type)).toEqual(['user-authentication', 'security-alert']);
    expect(sink.events[1]).toMatchObject({ outcome: 4, detail: { reason: 'bad-signature' } });
  });

  it('#12: when the refusal cannot be recorded the request fails with 503', async () => {
    const failing: AuditSink = { record: () => Promise.reject(new AuditUnavailableError()) };
    const res = await appWith('expired', failing).request('/', {
      headers: { Authorization: `Bearer ${JWT}` },
    });
    expect(res.status).toBe(503);
  });

  it('records nothing for a request without credentials', async () => {
    const sink = recorder();
    const res = await appWith('expired', sink).request('/');
    expect(res.status).toBe(200);
    expect(sink.events).toEqual([]);
  });
});
