import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A small OpenID provider for tests: discovery and JWKS over real HTTP on a random loopback
 * port, counting requests, and able to go down and come back on the same port. Tokens are
 * signed with real keys (RS256, ES256).
 */

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TokenOptions {
  key?: SigningKey;
  /** Header `typ`; undefined leaves the default `JWT`, null omits it. */
  typ?: string | null;
  /** Seconds from now; null omits `exp`. Default 300. */
  expiresIn?: number | null;
  /** Seconds from now for `nbf`. */
  notBefore?: number;
  /** Header `kid` other than the key's own. */
  kid?: string;
}

export async function newSigningKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export class LocalIdp {
  readonly requests = { discovery: 0, jwks: 0 };
  /** Keys published in the JWKS. */
  published: SigningKey[] = [];
  /** Answer 503 to everything (counted), as a provider behind a proxy during its restart. */
  failing = false;
  /** What discovery says `issuer` is (default: the real issuer). */
  discoveryIssuer: string | undefined;
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly path: string) {}

  /** `path`: the issuer's path below the origin, as Keycloak's `/realms/x`. */
  static async start(path = '/realms/test'): Promise<LocalIdp> {
    const idp = new LocalIdp(path);
    await idp.listen();
    return idp;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  async addKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
    const key = await newSigningKey(alg, kid);
    this.published.push(key);
    return key;
  }

  async sign(claims: Record<string, unknown>, options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.published[0];
    if (!key) throw new Error('no signing key');
    const header: Record<string, unknown> = { alg: key.alg, kid: options.kid ?? key.kid };
    if (options.typ !== null) header['typ'] = options.typ ?? 'JWT';
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ iss: this.issuer, sub: 'user-1', ...claims })
      .setProtectedHeader(header as { alg: string })
      .setIssuedAt(now);
    if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  /** Refuses connections until `resume()` (the port stays reserved for it). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    if (!this.server) await this.listen();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === `${this.path}/.well-known/openid-configuration`) {
        this.requests.discovery++;
        if (this.failing) res.writeHead(503).end();
        else
          json({
            issuer: this.discoveryIssuer ?? this.issuer,
            jwks_uri: `${this.issuer}/protocol/openid-connect/certs`,
          });
      } else if (path === `${this.path}/protocol/openid-connect/certs`) {
        this.requests.jwks++;
        if (this.failing) res.writeHead(503).end();
        else json({ keys: this.published.map((k) => k.publicJwk) });
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
}
