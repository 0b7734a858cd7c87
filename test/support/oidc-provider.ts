/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1 for tests of single sign-on, and a
 * browser-less way through its sign-in pages.
 *
 *   const op = await startOidcProvider({
 *     clientId: 'wardwatch', clientSecret: 'a-long-test-secret',
 *     redirectUris: ['http://127.0.0.1:9464/sign-in/sso/callback'],
 *     accounts: [{ sub: 'alice', email: 'Alice@millbrook-tc.gov.uk', name: 'Alice Ward', emailVerified: true }],
 *   });
 *   // settings for the console: { issuer: op.issuer, clientId, clientSecret, … }
 *   const callback = await signInAtProvider(authorizationUrl, 'alice');   // the URL the browser would return to
 *   await op.close();
 *
 * In a real browser (the Chromium tests), the provider's development sign-in page asks for a
 * login — type the account's `sub`; any password is accepted — and then a consent page with a
 * "Continue" button.
 *
 * The provider speaks plain HTTP: openid-client only talks to it with `allowInsecureRequests`,
 * which Wardwatch allows for 127.0.0.1 and localhost issuers alone.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcTestAccount {
  /** The account's subject identifier; also what to type as the login on the provider's page. */
  sub: string;
  /** Left out: the provider issues no `email` claim for this account. */
  email?: string;
  name?: string;
  /** Left out: no `email_verified` claim (as Microsoft Entra ID's tokens often have none). */
  emailVerified?: boolean;
  preferredUsername?: string;
}

export interface OidcProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  accounts: OidcTestAccount[];
  /**
   * Whether the ID token carries the e-mail and profile claims, as Google's and Microsoft's do
   * (default). When false they are only at the UserInfo endpoint, which the OpenID Connect
   * specification allows for the authorisation code flow.
   */
  claimsInIdToken?: boolean;
  /** The port to listen on (default: any free one). */
  port?: number;
}

export interface OidcProviderRequest {
  method: string;
  /** The path, without the query. */
  path: string;
}

export interface OidcTestProvider {
  /** The issuer, `http://127.0.0.1:<port>`, for `console.oidc.issuer`. */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every request the provider has had, oldest first (to count discovery or token requests). */
  requests(): readonly OidcProviderRequest[];
  close(): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * oidc-provider ships no type declarations: it is loaded by name (so that TypeScript does not look
 * for them) and checked for what the tests use — a constructor whose instance gives a request
 * listener.
 */
async function providerListener(issuer: string, configuration: Record<string, unknown>): Promise<Listener> {
  const specifier: string = 'oidc-provider';
  const mod: unknown = await import(specifier);
  if (typeof mod !== 'object' || mod === null || !('Provider' in mod) || typeof mod.Provider !== 'function') {
    throw new Error('oidc-provider does not export a Provider class');
  }
  const instance: unknown = Reflect.construct(mod.Provider, [issuer, configuration]);
  if (typeof instance !== 'object' || instance === null || !('callback' in instance) || typeof instance.callback !== 'function') {
    throw new Error('an oidc-provider Provider has no callback()');
  }
  // Requests come straight from the tests: no X-Forwarded-* header is to be believed.
  Reflect.set(instance, 'proxy', false);
  const listener: unknown = Reflect.apply(instance.callback, instance, []);
  if (typeof listener !== 'function') throw new Error('oidc-provider’s callback() did not give a request listener');
  return (req, res) => {
    Reflect.apply(listener, undefined, [req, res]);
  };
}

function claimsOf(account: OidcTestAccount): Record<string, string | boolean> {
  const claims: Record<string, string | boolean> = { sub: account.sub };
  if (account.email !== undefined) claims.email = account.email;
  if (account.emailVerified !== undefined) claims.email_verified = account.emailVerified;
  if (account.name !== undefined) claims.name = account.name;
  if (account.preferredUsername !== undefined) claims.preferred_username = account.preferredUsername;
  return claims;
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcTestProvider> {
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));
  const requests: OidcProviderRequest[] = [];
  let handle: Listener | undefined;
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?', 1)[0] ?? '/' });
    if (handle) handle(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  handle = await providerListener(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: options.claimsInIdToken === false,
    pkce: { required: () => true },
    // Set, so that the provider does not print a notice for each one it would otherwise default.
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => claimsOf(account) };
    },
    // Errors as plain text, so that a failing test shows what the provider said.
    async renderError(ctx: { type: string; body: string }, out: Record<string, unknown>) {
      ctx.type = 'text';
      ctx.body = Object.entries(out)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n');
    },
  });

  return {
    issuer,
    port,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    requests: () => [...requests],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A few cookies, enough for one sign-in on one host (paths and expiry are not needed for that). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /;\s*max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The action of the one form on a page of the provider's, and its hidden fields. */
function formOf(page: string, base: string): { action: URL; fields: URLSearchParams } {
  const action = /<form[^>]*\saction="([^"]+)"/i.exec(page)?.[1];
  if (!action) throw new Error(`the provider's page has no form:\n${page.slice(0, 2000)}`);
  const fields = new URLSearchParams();
  for (const m of page.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) {
    if (m[1] !== undefined && m[2] !== undefined) fields.set(m[1], m[2]);
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), base), fields };
}

export interface SignInAtProviderOptions {
  /** Where the provider may send the browser back to (default: stop at the first address off the provider). */
  redirectUri?: string;
  /** The most requests to make before giving up (default 20). */
  maxSteps?: number;
}

/**
 * Goes through the provider's sign-in as a browser would — the authorisation request, the login
 * form (as `login`, the account's sub), the consent form — and returns the address the provider
 * sends the browser back to, without requesting it.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, options: SignInAtProviderOptions = {}): Promise<URL> {
  const start = new URL(authorizationUrl);
  const jar = new CookieJar();
  const leaves = (url: URL): boolean =>
    options.redirectUri !== undefined ? url.href.startsWith(options.redirectUri) : url.origin !== start.origin;
  let next: { url: URL; form?: URLSearchParams } = { url: start };
  for (let step = 0; step < (options.maxSteps ?? 20); step += 1) {
    const headers: Record<string, string> = { cookie: jar.header() };
    if (next.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(next.url, {
      method: next.form ? 'POST' : 'GET',
      body: next.form?.toString(),
      redirect: 'manual',
      headers,
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, next.url);
      if (leaves(target)) return target;
      next = { url: target };
      continue;
    }
    const page = await response.text();
    if (response.status !== 200) throw new Error(`the provider answered ${response.status} at ${next.url.href}:\n${page.slice(0, 2000)}`);
    const { action, fields } = formOf(page, next.url.href);
    if (fields.get('prompt') === 'login') {
      fields.set('login', login);
      fields.set('password', 'any password will do');
    }
    next = { url: action, form: fields };
  }
  throw new Error(`the provider did not send the browser back within ${options.maxSteps ?? 20} steps`);
}
