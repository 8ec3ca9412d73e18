import { createHmac } from 'node:crypto';
import {
  base64url,
  createRemoteJWKSet,
  exportSPKI,
  importJWK,
  jwtVerify,
  type CryptoKey,
} from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOidcVerifier, type OidcVerifierOptions } from './oidc.js';
import { LocalIdp, newSigningKey, type SigningKey } from './testing/local-idp.js';

/**
 * Real tokens from real keys, discovery and JWKS over real HTTP. Only `Date` is faked, so the
 * cache and cooldown can be crossed without waiting (jose reads the time from Date.now()).
 */

const AUD = 'strata-api';

let idp: LocalIdp;
let rsa: SigningKey;
let ec: SigningKey;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  idp = await LocalIdp.start();
  rsa = await idp.addKey('RS256', 'rsa-1');
  ec = await idp.addKey('ES256', 'ec-1');
});

afterEach(async () => {
  vi.useRealTimers();
  await idp.stop();
});

function verifierFor(overrides: Partial<OidcVerifierOptions> = {}) {
  return createOidcVerifier({
    issuer: idp.issuer,
    audience: AUD,
    algorithms: ['RS256', 'ES256'],
    clockToleranceSeconds: 30,
    jwksCooldownSeconds: 30,
    jwksCacheSeconds: 600,
    fetchTimeoutMs: 2000,
    ...overrides,
  });
}

function advance(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

const refused = (reason: string) => ({ name: 'InvalidTokenError', reason });

/** A compact JWS with the given header and payload and an arbitrary signature part. */
function handMade(header: object, payload: object, signature = ''): string {
  const enc = (v: object) => base64url.encode(JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

describe('createOidcVerifier', () => {
  it('#12: verifies RS256 and ES256 tokens of the issuer and audience and returns their claims', async () => {
    const verifier = verifierFor();
    const claims = { aud: AUD, realm_access: { roles: ['reader'] } };
    const fromRsa = await verifier.verify(await idp.sign(claims, { key: rsa }));
    expect(fromRsa).toMatchObject({ sub: 'user-1', iss: idp.issuer, ...claims });
    const fromEc = await verifier.verify(await idp.sign({ aud: [AUD, 'other'] }, { key: ec }));
    expect(fromEc['aud']).toEqual([AUD, 'other']);
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('#12: accepts typ JWT, at+jwt (RFC 9068) or none; refuses other token types', async () => {
    const verifier = verifierFor();
    for (const typ of ['JWT', 'at+jwt', 'application/at+jwt', null]) {
      await expect(verifier.verify(await idp.sign({ aud: AUD }, { typ }))).resolves.toBeTruthy();
    }
    await expect(
      verifier.verify(await idp.sign({ aud: AUD }, { typ: 'logout+jwt' })),
    ).rejects.toMatchObject(refused('bad-typ'));
  });

  it('#12: refuses a token without exp (a leaked one would never expire)', async () => {
    const token = await idp.sign({ aud: AUD }, { expiresIn: null });
    await expect(verifierFor().verify(token)).rejects.toMatchObject(refused('missing-exp'));
  });

  it('#12: refuses an expired token beyond the clock tolerance, accepts one within it', async () => {
    const verifier = verifierFor();
    const expired = await idp.sign({ aud: AUD }, { expiresIn: -60 });
    await expect(verifier.verify(expired)).rejects.toMatchObject(refused('expired'));
    await expect(verifier.verify(expired)).rejects.toThrow('the access token has expired');
    const justExpired = await idp.sign({ aud: AUD }, { expiresIn: -10 });
    await expect(verifier.verify(justExpired)).resolves.toBeTruthy();
  });

  it('#12: refuses a token whose nbf is beyond the clock tolerance, accepts one within it', async () => {
    const verifier = verifierFor();
    const early = await idp.sign({ aud: AUD }, { notBefore: 120 });
    await expect(verifier.verify(early)).rejects.toMatchObject(refused('not-yet-valid'));
    const slightlyEarly = await idp.sign({ aud: AUD }, { notBefore: 20 });
    await expect(verifier.verify(slightlyEarly)).resolves.toBeTruthy();
  });

  it('#12: refuses another audience, a missing audience and another issuer', async () => {
    const verifier = verifierFor();
    await expect(verifier.verify(await idp.sign({ aud: 'account' }))).rejects.toMatchObject(
      refused('bad-audience'),
    );
    await expect(verifier.verify(await idp.sign({}))).rejects.toMatchObject(
      refused('bad-audience'),
    );
    await expect(
      verifier.verify(await idp.sign({ aud: AUD, iss: 'https://evil.example/realms/test' })),
    ).rejects.toMatchObject(refused('bad-issuer'));
  });

  it('#12: refuses a token signed by another key under a published kid', async () => {
    const impostor = await newSigningKey('RS256', rsa.kid);
    const token = await idp.sign({ aud: AUD }, { key: impostor });
    await expect(verifierFor().verify(token)).rejects.toMatchObject(refused('bad-signature'));
  });

  it('#12: refuses alg=none even when configured, without asking the provider', async () => {
    const token = handMade(
      { alg: 'none', typ: 'JWT' },
      { iss: idp.issuer, aud: AUD, sub: 'admin', exp: Math.floor(Date.now() / 1000) + 300 },
    );
    for (const algorithms of [['RS256'], ['none', 'RS256']]) {
      await expect(verifierFor({ algorithms }).verify(token)).rejects.toMatchObject(
        refused('alg-not-allowed'),
      );
    }
    expect(idp.requests).toEqual({ discovery: 0, jwks: 0 });
  });

  it('#12: refuses HS256 signed with the RSA public key as the secret (key confusion), even when configured', async () => {
    const pem = await exportSPKI((await importJWK(rsa.publicJwk, 'RS256')) as CryptoKey);
    const header = { alg: 'HS256', typ: 'JWT', kid: rsa.kid };
    const payload = { iss: idp.issuer, aud: AUD, sub: 'admin', exp: Date.now() / 1000 + 300 };
    const unsigned = handMade(header, payload).slice(0, -1);
    const signature = createHmac('sha256', pem).update(unsigned).digest('base64url');
    const token = `${unsigned}.${signature}`;
    // A verifier that took the key's bytes as an HMAC secret would accept it:
    await expect(jwtVerify(token, new TextEncoder().encode(pem))).resolves.toBeTruthy();
    for (const algorithms of [['RS256'], ['RS256', 'HS256']]) {
      await expect(verifierFor({ algorithms }).verify(token)).rejects.toMatchObject(
        refused('alg-not-allowed'),
      );
    }
  });

  it('#12: an unknown kid storm fetches the JWKS at most once per cooldown, concurrent or sequential', async () => {
    const verifier = verifierFor({ jwksCooldownSeconds: 30 });
    const stranger = await newSigningKey('RS256', 'stranger');
    const strangers = () =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          idp.sign({ aud: AUD }, { key: stranger, kid: `unknown-${i}` }),
        ),
      );

    // Before any key is known: the first fetch is shared by all 50.
    const first = await strangers();
    const results = await Promise.allSettled(first.map((t) => verifier.verify(t)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(results[0]).toMatchObject({ reason: refused('unknown-kid') });
    expect(idp.requests.jwks).toBe(1);

    // Within the cooldown: none, sequentially.
    for (const token of await strangers()) {
      await expect(verifier.verify(token)).rejects.toMatchObject(refused('unknown-kid'));
    }
    expect(idp.requests.jwks).toBe(1);

    // After it: one, for 50 concurrent and then 50 sequential tokens.
    advance(31);
    const concurrent = await strangers();
    await Promise.allSettled(concurrent.map((t) => verifier.verify(t)));
    for (const token of await strangers()) await verifier.verify(token).catch(() => undefined);
    expect(idp.requests.jwks).toBe(2);
    expect(idp.requests.discovery).toBe(1);

    // A key the provider has started to publish is found by the next refetch.
    idp.published.push(stranger);
    advance(31);
    await expect(
      verifier.verify(await idp.sign({ aud: AUD }, { key: stranger })),
    ).resolves.toBeTruthy();
    expect(idp.requests.jwks).toBe(3);
  });

  it('jose alone rejects a token once its cache is stale and the provider is down', async () => {
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/protocol/openid-connect/certs`), {
      cacheMaxAge: 600_000,
    });
    const token = () => idp.sign({ aud: AUD });
    await jwtVerify(await token(), jwks);
    await idp.stop();
    advance(601);
    await expect(jwtVerify(await token(), jwks)).rejects.toThrow();
  });

  it('#12: cached keys keep verifying while the provider is down, also after the cache age', async () => {
    const logged: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (m: string) => void logged.push(m) };
    const verifier = verifierFor({ jwksCacheSeconds: 600, log });
    await verifier.verify(await idp.sign({ aud: AUD }));
    await idp.stop();

    await expect(verifier.verify(await idp.sign({ aud: AUD }))).resolves.toBeTruthy();
    advance(601);
    await expect(verifier.verify(await idp.sign({ aud: AUD }, { key: ec }))).resolves.toBeTruthy();
    await expect(verifier.verify(await idp.sign({ aud: AUD }))).resolves.toBeTruthy();
    expect(logged).toEqual(['OIDC JWKS refresh failed; the cached keys stay in use']);
    // An unknown kid still fails cleanly during the outage.
    const stranger = await newSigningKey('ES256', 'stranger');
    await expect(
      verifier.verify(await idp.sign({ aud: AUD }, { key: stranger })),
    ).rejects.toMatchObject(refused('unknown-kid'));

    // Back, and past the cooldown: the keys are refreshed (a rotated key is found).
    await idp.resume();
    idp.published.push(stranger);
    advance(31);
    await expect(
      verifier.verify(await idp.sign({ aud: AUD }, { key: stranger })),
    ).resolves.toBeTruthy();
  });

  it('#12: a failing provider is asked at most once per cooldown, not once per token', async () => {
    const verifier = verifierFor({ jwksCacheSeconds: 600, jwksCooldownSeconds: 30 });
    await verifier.verify(await idp.sign({ aud: AUD }));
    idp.failing = true;
    advance(601);
    for (let i = 0; i < 20; i++) await verifier.verify(await idp.sign({ aud: AUD }));
    expect(idp.requests.jwks).toBe(2);
    advance(31);
    for (let i = 0; i < 20; i++) await verifier.verify(await idp.sign({ aud: AUD }));
    expect(idp.requests.jwks).toBe(3);
    idp.failing = false;
    advance(31);
    await verifier.verify(await idp.sign({ aud: AUD }));
    expect(idp.requests.jwks).toBe(4);
    await verifier.verify(await idp.sign({ aud: AUD }));
    expect(idp.requests.jwks).toBe(4);
  });

  it('#12: a provider down at first use refuses the token as idp-unreachable; the next token after it is back works', async () => {
    const token = await idp.sign({ aud: AUD });
    await idp.stop();
    const verifier = verifierFor(); // creating it never contacts the provider
    await expect(verifier.verify(token)).rejects.toMatchObject(refused('idp-unreachable'));
    await expect(verifier.verify(token)).rejects.toThrow(/identity provider could not be reached/);
    await idp.resume();
    await expect(verifier.verify(token)).resolves.toMatchObject({ aud: AUD });
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('#12: concurrent first tokens share one discovery', async () => {
    const verifier = verifierFor();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.sign({ aud: AUD })));
    await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('#12: refuses every token when the discovery document names another issuer', async () => {
    idp.discoveryIssuer = 'https://evil.example/realms/test';
    const verifier = verifierFor();
    const token = await idp.sign({ aud: AUD });
    await expect(verifier.verify(token)).rejects.toMatchObject(refused('idp-misconfigured'));
    expect(idp.requests).toEqual({ discovery: 1, jwks: 0 });
  });

  it('an issuer with a trailing slash (Auth0) is discovered without it and matched exactly', async () => {
    const issuer = `${idp.issuer}/`;
    idp.discoveryIssuer = issuer;
    const verifier = verifierFor({ issuer });
    await expect(verifier.verify(await idp.sign({ aud: AUD, iss: issuer }))).resolves.toBeTruthy();
    await expect(verifier.verify(await idp.sign({ aud: AUD }))).rejects.toMatchObject(
      refused('bad-issuer'),
    );
  });

  it('refuses a token that is not a JWS', async () => {
    await expect(verifierFor().verify('abc.def')).rejects.toMatchObject(refused('malformed'));
  });
});
