/**
 * Single sign-on to the console with the council's own accounts (Microsoft 365, Google
 * Workspace, or any OpenID provider): the authorisation code flow with PKCE (S256), state and
 * nonce, through `openid-client`. The server (src/console/server.ts) sends the browser to
 * `start().redirectTo`, keeps `pending` in a short-lived HttpOnly cookie, and hands both back to
 * `finish()` at /sign-in/sso/callback; what comes out is an e-mail address, which must be the
 * username of a console account (`wardwatch users add <address> --sso`) for anyone to get in.
 *
 * Every failure is an `OidcSignInError` whose message can be shown to the person signing in as it
 * is: it names the issuer and the setting to check, and never the client secret.
 *
 * The browser comes back to the callback from the sign-in service's site, so the cookie holding
 * `pending` must be SameSite=Lax (a Strict one is not sent on that return), HttpOnly, Secure
 * behind TLS, limited to the callback's path and to SSO_PENDING_MINUTES, and cleared by the
 * callback whatever the outcome.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import { emailAddress } from '../config/parts.js';
import type { ConsoleConfig } from '../config/schema.js';

export type OidcSettings = NonNullable<ConsoleConfig['oidc']>;

/** Where the council's sign-in service sends the browser back to, under the console's address. */
export const SSO_CALLBACK_PATH = '/sign-in/sso/callback';

/** How long a sign-in may take, from the button to the return: the cookie should live as long. */
export const SSO_PENDING_MINUTES = 10;

/** What single sign-on asks the council's sign-in service for: who the person is, and their address. */
export const SSO_SCOPES = 'openid email profile';

export interface OidcSignIn {
  /** Where to send the browser, and a value the server keeps in a short-lived HttpOnly cookie. */
  start(): Promise<{ redirectTo: string; pending: string }>;
  /** The callback URL as received and the cookie's value: the signed-in person's verified e-mail. */
  finish(callbackUrl: URL, pending: string): Promise<{ email: string; name?: string }>;
}

export interface OidcSignInOptions {
  /**
   * Plain-http issuers are accepted on this computer only (127.0.0.1, ::1, localhost: a provider
   * started by the tests, say), where the traffic never leaves the machine; this is their default.
   * False insists on https even there. No other host is ever spoken to over plain http.
   */
  allowInsecureRequests?: boolean;
  /** The clock, for the sign-in's time limit (default: the system clock). */
  now?: () => Date;
}

/**
 * Why a sign-in failed: `settings` — console.oidc needs changing; `unreachable` — the sign-in
 * service could not be reached; `refused` — the reply was not accepted; `expired` — the sign-in
 * took too long, or was not started in this browser; `no-email` and `unverified` — the account
 * gave no usable address.
 */
export type OidcFailure = 'settings' | 'unreachable' | 'refused' | 'expired' | 'no-email' | 'unverified';

export class OidcSignInError extends Error {
  constructor(
    readonly reason: OidcFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Microsoft's shared sign-in addresses, whose tokens name each person's own tenant as their issuer. */
const ENTRA_SHARED_TENANTS = new Set(['common', 'organizations', 'consumers']);

function isEntraIssuer(issuer: URL): boolean {
  return issuer.hostname.toLowerCase() === 'login.microsoftonline.com';
}

/** Checks the issuer address and whether plain http may be used with it; throws a `settings` error. */
function checkIssuer(settings: OidcSettings, options: OidcSignInOptions): { issuer: URL; insecure: boolean } {
  let issuer: URL;
  try {
    issuer = new URL(settings.issuer);
  } catch {
    throw new OidcSignInError('settings', `Single sign-on is set up with “${settings.issuer}” as the council’s sign-in service, which is not a web address; check console.oidc.issuer.`);
  }
  if (issuer.protocol === 'http:' && LOOPBACK_HOSTS.has(issuer.hostname.toLowerCase()) && options.allowInsecureRequests !== false) {
    return { issuer, insecure: true };
  }
  if (issuer.protocol !== 'https:') {
    throw new OidcSignInError(
      'settings',
      `Single sign-on is set up with ${settings.issuer} as the council’s sign-in service, but Wardwatch only signs people in through an https address (the sign-in service’s replies vouch for who someone is, so they must not travel unencrypted); check console.oidc.issuer.`,
    );
  }
  if (isEntraIssuer(issuer)) {
    const tenant = issuer.pathname.split('/').filter(Boolean)[0]?.toLowerCase();
    if (tenant === undefined || ENTRA_SHARED_TENANTS.has(tenant)) {
      throw new OidcSignInError(
        'settings',
        `Single sign-on is set up with Microsoft’s shared sign-in address ${settings.issuer}, which would let any organisation’s accounts answer; use the council’s own tenant, https://login.microsoftonline.com/<tenant-id>/v2.0 (the tenant ID is on the Overview page of Microsoft Entra ID), in console.oidc.issuer.`,
      );
    }
  }
  return { issuer, insecure: false };
}

// ---------------------------------------------------------------------------------------------
// The pending sign-in, kept by the browser between start() and finish().

const randomToken = z.string().regex(/^[A-Za-z0-9_-]{32,128}$/);

const PendingSchema = z
  .object({
    /** state */
    s: randomToken,
    /** nonce */
    n: randomToken,
    /** PKCE code verifier (RFC 7636: 43 to 128 characters) */
    v: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/),
    /** when the sign-in started, in milliseconds since 1970 */
    t: z.number().int().positive(),
  })
  .strict();
type Pending = z.infer<typeof PendingSchema>;

/** `<payload>.<mac>`, both base64url: about 250 characters, well within a cookie. */
const SealedSchema = z.string().regex(/^[A-Za-z0-9_-]{40,800}\.[A-Za-z0-9_-]{43}$/);

const AGAIN = 'Please sign in again.';

function notThisSignIn(): OidcSignInError {
  return new OidcSignInError('expired', `This sign-in could not be matched to one started in this browser, so it was refused. ${AGAIN}`);
}

/**
 * The pending value comes back from the browser, so it is outside input: it is sealed with a key
 * that lives only in this process (a restart in the middle of a sign-in just asks for it again),
 * and checked for its shape and its age before anything in it is used.
 */
class PendingSeal {
  private readonly key = randomBytes(32);

  seal(pending: Pending): string {
    const payload = Buffer.from(JSON.stringify(pending), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  open(sealed: string, now: Date): Pending {
    const shape = SealedSchema.safeParse(sealed);
    if (!shape.success) throw notThisSignIn();
    const [payload = '', mac = ''] = shape.data.split('.');
    if (!timingSafeEqual(Buffer.from(mac, 'base64url'), this.mac(payload))) throw notThisSignIn();
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw notThisSignIn();
    }
    const pending = PendingSchema.safeParse(decoded);
    if (!pending.success) throw notThisSignIn();
    const age = now.getTime() - pending.data.t;
    // A minute's grace the other way, in case the clock is stepped back during a sign-in.
    if (age > SSO_PENDING_MINUTES * 60_000 || age < -60_000) {
      throw new OidcSignInError('expired', `The sign-in took longer than ${SSO_PENDING_MINUTES} minutes, so it was not completed. ${AGAIN}`);
    }
    return pending.data;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

// ---------------------------------------------------------------------------------------------
// Who signed in, from the ID token's (or UserInfo's) claims.

const ClaimsSchema = z.object({
  email: z.string().optional().catch(undefined),
  // A provider or two sends "true" as a string; anything else that is present counts as not verified.
  email_verified: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .optional()
    .catch(false),
  name: z.string().optional().catch(undefined),
  preferred_username: z.string().optional().catch(undefined),
});

function asAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = emailAddress.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The person's e-mail address (lower case) and name from their claims; throws `no-email` or
 * `unverified`. `issuer` is the configured issuer: it decides whether Microsoft Entra ID's
 * `preferred_username` may stand in for a missing `email`.
 */
export function identityFromClaims(claims: Record<string, unknown>, issuer: string): { email: string; name?: string } {
  const c = ClaimsSchema.parse(claims);
  const name = c.name?.trim() || undefined;
  const withName = (email: string): { email: string; name?: string } => (name === undefined ? { email } : { email, name });

  if (c.email !== undefined) {
    const email = asAddress(c.email);
    if (email === undefined) {
      throw new OidcSignInError('no-email', `The council’s sign-in service gave “${c.email}” as your e-mail address, which is not one, so Wardwatch cannot tell whose console account is yours.`);
    }
    if (c.email_verified === false) {
      throw new OidcSignInError(
        'unverified',
        `The council’s sign-in service says your e-mail address ${email} has not been verified, so it cannot be used to sign in to the console. Ask whoever manages the council’s accounts to verify it.`,
      );
    }
    return withName(email);
  }

  // Microsoft Entra ID sends no `email_verified`, and sends `email` only when the account has a
  // mailbox or the claim is added to the app registration; every work account has
  // `preferred_username`, its sign-in name, which for a council is nearly always its address.
  // That stands in for the address only for an Entra issuer, which checkIssuer() holds to the
  // council's own tenant: sign-in names there are set by the council's administrators alone, and
  // someone signing in this way still needs a console account the Clerk made for that address.
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    issuerUrl = undefined;
  }
  if (issuerUrl && isEntraIssuer(issuerUrl)) {
    const email = asAddress(c.preferred_username);
    if (email !== undefined) return withName(email);
  }
  throw new OidcSignInError(
    'no-email',
    'The council’s sign-in service did not say what your e-mail address is, so Wardwatch cannot tell whose console account is yours. Ask whoever manages the council’s accounts to let Wardwatch read it (the “email” scope).',
  );
}

// ---------------------------------------------------------------------------------------------
// Errors, worded for the Clerk.

/** The causes of an error, outermost first (openid-client keeps the details a few levels down). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth += 1) {
    out.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

/** The issuer a discovery document named when it was not the one configured. */
function issuerNamed(err: unknown): string | undefined {
  for (const cause of causes(err)) {
    if (typeof cause !== 'object' || cause === null || !('attribute' in cause) || cause.attribute !== 'issuer' || !('body' in cause)) continue;
    const body = cause.body;
    if (typeof body === 'object' && body !== null && 'issuer' in body && typeof body.issuer === 'string') return body.issuer;
  }
  return undefined;
}

/** The HTTP status of a response that was not the document asked for. */
function httpStatusOf(err: unknown): number | undefined {
  for (const cause of causes(err)) if (cause instanceof Response && cause.status !== 200) return cause.status;
  return undefined;
}

/** The messages of an error and its causes, without repeats. */
function messageChain(err: unknown): string[] {
  const out: string[] = [];
  for (const cause of causes(err)) {
    const message = cause instanceof Error ? cause.message.trim() : '';
    if (message !== '' && !out.includes(message)) out.push(message);
  }
  if (out.length === 0) out.push(String(err));
  return out;
}

/** Whether the request never got an answer: refused, not found, timed out. */
function isNetworkFailure(err: unknown): boolean {
  return causes(err).some(
    (cause) =>
      cause instanceof Error &&
      (cause.name === 'TimeoutError' ||
        cause.name === 'AbortError' ||
        (cause instanceof TypeError && cause.message === 'fetch failed') ||
        ('code' in cause && typeof cause.code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(cause.code))),
  );
}

/** Removes the client secret from a message, however it might have been quoted. */
function scrubber(secret: string): (text: string) => string {
  const forms = secret.length >= 4 ? [...new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])] : [];
  return (text) => forms.reduce((t, form) => t.split(form).join('[the client secret]'), text);
}

const clip = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export async function createOidcSignIn(settings: OidcSettings, secret: string, redirectUri: string, options: OidcSignInOptions = {}): Promise<OidcSignIn> {
  const { issuer, insecure } = checkIssuer(settings, options);
  if (!URL.canParse(redirectUri)) {
    throw new OidcSignInError('settings', `Single sign-on would send people back to “${redirectUri}”, which is not a web address; check console.publicUrl.`);
  }
  const scrub = scrubber(secret);
  const now = options.now ?? (() => new Date());
  const seal = new PendingSeal();
  const at = `The council’s sign-in service at ${settings.issuer}`;

  const unreachable = (err: unknown): OidcSignInError => {
    const detail = messageChain(err);
    // "fetch failed" says nothing a Clerk can use when a cause (connection refused, name not found) follows.
    const said = detail.length > 1 && detail[0] === 'fetch failed' ? detail.slice(1) : detail;
    return new OidcSignInError('unreachable', scrub(`${at} could not be reached: ${clip(said.join(': '))}; check console.oidc.issuer.`));
  };

  const discoveryFailure = (err: unknown): OidcSignInError => {
    const named = issuerNamed(err);
    if (named !== undefined) {
      return new OidcSignInError(
        'settings',
        scrub(`${at} names itself ${clip(named, 200)} as its issuer; set console.oidc.issuer to exactly that (a slash at the end or http for https makes it another address).`),
      );
    }
    const status = httpStatusOf(err);
    if (status !== undefined) {
      return new OidcSignInError(
        'unreachable',
        `${at} could not be reached: it answered HTTP ${status} for its OpenID Connect description (/.well-known/openid-configuration under that address); check console.oidc.issuer.`,
      );
    }
    return unreachable(err);
  };

  let discovered: Promise<client.Configuration> | undefined;
  // Discovery once, on first use, so that the service starts even while the sign-in service is
  // unreachable; a failed attempt is forgotten, and the next sign-in tries again.
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(issuer, settings.clientId, undefined, client.ClientSecretBasic(secret), {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 15,
      })
      .catch((err: unknown) => {
        discovered = undefined;
        throw discoveryFailure(err);
      });
    return discovered;
  };

  const refusedGrant = (err: unknown): OidcSignInError => {
    if (err instanceof client.AuthorizationResponseError) {
      const said = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
      return new OidcSignInError('refused', scrub(`${at} did not sign you in (${clip(said, 200)}). ${AGAIN}`));
    }
    // The provider's own error: in the body, or (for a client it did not recognise, as
    // oidc-provider answers) in a WWW-Authenticate challenge.
    let said: string | undefined;
    let code: string | undefined;
    if (err instanceof client.ResponseBodyError) {
      code = err.error;
      said = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
    } else if (err instanceof client.WWWAuthenticateChallengeError) {
      const challenge = err.cause.find((c) => c.parameters.error !== undefined)?.parameters;
      code = challenge?.error ?? `HTTP ${err.status}`;
      said = challenge?.error_description ? `${code}: ${challenge.error_description}` : code;
    }
    if (said !== undefined) {
      if (code === 'invalid_client' || code === 'unauthorized_client') {
        return new OidcSignInError(
          'settings',
          scrub(`${at} did not accept Wardwatch’s client ID or secret (${clip(said, 200)}); check console.oidc.clientId and console.oidc.clientSecret, and that the secret has not expired.`),
        );
      }
      return new OidcSignInError('refused', scrub(`${at} refused to complete the sign-in (${clip(said, 200)}). ${AGAIN}`));
    }
    if (isNetworkFailure(err)) return unreachable(err);
    const detail = messageChain(err).join(': ');
    if (/"state"/.test(detail)) {
      return new OidcSignInError('refused', `The reply from the council’s sign-in service did not match the sign-in started in this browser, so it was refused. ${AGAIN}`);
    }
    return new OidcSignInError('refused', scrub(`${at} replied with something Wardwatch could not verify (${clip(detail)}), so the sign-in was refused. ${AGAIN}`));
  };

  return {
    async start() {
      const config = await configuration();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SSO_SCOPES,
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { redirectTo: url.href, pending: seal.seal({ s: state, n: nonce, v: verifier, t: now().getTime() }) };
    },

    async finish(callbackUrl, pending) {
      const expected = seal.open(pending, now());
      const config = await configuration();
      // The reply's parameters on the registered redirect URI: openid-client sends the address it
      // is given as redirect_uri, and a server behind a proxy may see another host than the browser did.
      const current = new URL(redirectUri);
      for (const [key, value] of callbackUrl.searchParams) current.searchParams.append(key, value);

      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: expected.v,
          expectedState: expected.s,
          expectedNonce: expected.n,
          idTokenExpected: true,
        });
      } catch (err) {
        throw refusedGrant(err);
      }
      const idToken = tokens.claims();
      if (!idToken) throw new OidcSignInError('refused', `${at} sent no ID token, so Wardwatch cannot tell who signed in. ${AGAIN}`);

      try {
        return identityFromClaims(idToken, settings.issuer);
      } catch (err) {
        // Some providers put the address at the UserInfo endpoint only (the OpenID Connect
        // specification allows it for this flow); ask there, for the same subject, before refusing.
        if (!(err instanceof OidcSignInError) || err.reason !== 'no-email' || !config.serverMetadata().userinfo_endpoint) throw err;
        let info: client.UserInfoResponse;
        try {
          info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
        } catch (cause) {
          throw refusedGrant(cause);
        }
        return identityFromClaims(info, settings.issuer);
      }
    },
  };
}
