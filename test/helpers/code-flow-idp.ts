import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { newSigningKey, type SigningKey } from '../../src/auth/testing/local-idp.js';

/**
 * A minimal OIDC provider for the authorization code flow with PKCE (RFC 7636), for browser
 * tests: discovery, JWKS, an authorization endpoint that signs the user in at once (no page) and
 * redirects back with a code, and a token endpoint that checks the code verifier, client and
 * redirect URI before it answers an access token. CORS is open, as a real provider's is for a
 * public browser client. `claims` go into every access token.
 */
export class CodeFlowIdp {
  /** Token requests refused, with why (a test can assert none were). */
  readonly refusals: string[] = [];
  /** Every authorization request's query, as received. */
  readonly authorizations: URLSearchParams[] = [];
  private readonly codes = new Map<
    string,
    { challenge: string; clientId: string; redirectUri: string; nonce: string | null }
  >();
  private server!: Server;
  private key!: SigningKey;
  private port = 0;

  private constructor(private readonly claims: Record<string, unknown>) {}

  static async start(claims: Record<string, unknown>): Promise<CodeFlowIdp> {
    const idp = new CodeFlowIdp(claims);
    idp.key = await newSigningKey('ES256', 'code-flow');
    await idp.listen();
    return idp;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}/realms/console`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** An access token of this issuer with these claims (valid 5 minutes). */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'oidc-user', ...claims })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(this.key.privateKey);
  }

  private async token(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const refuse = (why: string) => {
      this.refusals.push(why);
      return { status: 400, body: { error: 'invalid_grant', error_description: why } };
    };
    if (form.get('grant_type') !== 'authorization_code') return refuse('grant_type');
    const code = this.codes.get(form.get('code') ?? '');
    if (!code) return refuse('unknown code');
    this.codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (challenge !== code.challenge) return refuse('code_verifier does not match');
    if (form.get('client_id') !== code.clientId) return refuse('client_id');
    if (form.get('redirect_uri') !== code.redirectUri) return refuse('redirect_uri');
    const accessToken = await this.sign(this.claims);
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'Bearer', expires_in: 300 },
    };
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', this.issuer);
        const headers = {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Headers': 'Content-Type',
        };
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { ...headers, 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const base = '/realms/console';
        if (req.method === 'OPTIONS') {
          res.writeHead(204, headers).end();
        } else if (url.pathname === `${base}/.well-known/openid-configuration`) {
          json(200, {
            issuer: this.issuer,
            jwks_uri: `${this.issuer}/certs`,
            authorization_endpoint: `${this.issuer}/auth`,
            token_endpoint: `${this.issuer}/token`,
          });
        } else if (url.pathname === `${base}/certs`) {
          json(200, { keys: [this.key.publicJwk] });
        } else if (url.pathname === `${base}/auth`) {
          const q = url.searchParams;
          this.authorizations.push(q);
          const code = randomBytes(16).toString('base64url');
          this.codes.set(code, {
            challenge: q.get('code_challenge') ?? '',
            clientId: q.get('client_id') ?? '',
            redirectUri: q.get('redirect_uri') ?? '',
            nonce: q.get('nonce'),
          });
          const back = new URL(q.get('redirect_uri') ?? '');
          back.searchParams.set('code', code);
          back.searchParams.set('state', q.get('state') ?? '');
          res.writeHead(302, { Location: back.toString() }).end();
        } else if (url.pathname === `${base}/token` && req.method === 'POST') {
          const answer = await this.token(new URLSearchParams(await text(req)));
          json(answer.status, answer.body);
        } else {
          res.writeHead(404, headers).end();
        }
      })();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
