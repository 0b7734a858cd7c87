/**
 * Microsoft identity platform, as far as app-only sign-in needs it: OpenID metadata for the
 * tenant and the v2.0 token endpoint for the client-credentials grant, with a client secret or a
 * certificate-signed client assertion (RS256 or PS256, `x5t` or `x5t#S256` header). Errors carry
 * the AADSTS codes Entra ID uses so the connector's explanations can be tested.
 */
import { createPublicKey, randomBytes, randomUUID, verify, constants, type KeyObject } from 'node:crypto';
import { X509Certificate, createHash } from 'node:crypto';
import type { Clock } from './state.js';
import type { SimResponse } from './wire.js';

export interface AppRegistration {
  readonly clientId: string;
  /** Valid client secrets; an entry with `expired: true` answers AADSTS7000222. */
  readonly secrets: Array<{ value: string; expired?: boolean }>;
  /** Uploaded certificates (PEM). */
  readonly certificates: string[];
}

interface IssuedToken {
  readonly clientId: string;
  readonly expiresAt: number;
}

export const TOKEN_LIFETIME_SECONDS = 3599;

function b64urlJson(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class Auth {
  readonly apps = new Map<string, AppRegistration>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Token requests answered, successful or not, by grant. */
  readonly tokenRequests: Array<{ clientId: string; kind: 'secret' | 'certificate' | 'unknown'; ok: boolean; error?: string }> = [];

  constructor(readonly tenantId: string, private readonly origin: () => string, private readonly clock: Clock) {}

  registerApp(app: AppRegistration): void {
    this.apps.set(app.clientId, app);
  }

  tokenEndpoint(): string {
    return `${this.origin()}/${this.tenantId}/oauth2/v2.0/token`;
  }

  openIdConfiguration(tenant: string): SimResponse {
    if (tenant !== this.tenantId && tenant !== 'organizations') {
      return this.aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    const base = `${this.origin()}/${this.tenantId}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.origin()}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  private aadError(status: number, error: string, code: number, description: string): SimResponse {
    return {
      status,
      body: {
        error, error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date(this.clock.now()).toISOString()}`,
        error_codes: [code], timestamp: new Date(this.clock.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        trace_id: randomUUID(), correlation_id: randomUUID(),
      },
    };
  }

  /** POST /{tenant}/oauth2/v2.0/token with a form body. */
  token(tenant: string, form: URLSearchParams): SimResponse {
    const clientId = form.get('client_id') ?? '';
    const assertion = form.get('client_assertion');
    const kind = form.get('client_secret') !== null ? 'secret' : assertion !== null ? 'certificate' : 'unknown';
    const fail = (status: number, error: string, code: number, text: string): SimResponse => {
      this.tokenRequests.push({ clientId, kind, ok: false, error: `AADSTS${code}` });
      return this.aadError(status, error, code, text);
    };
    if (tenant !== this.tenantId) return fail(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const scope = form.get('scope') ?? '';
    if (!scope.split(' ').includes('https://graph.microsoft.com/.default')) {
      return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    }
    const app = this.apps.get(clientId);
    if (!app) return fail(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'.`);
    if (kind === 'secret') {
      const given = form.get('client_secret');
      const match = app.secrets.find((s) => s.value === given);
      if (!match) return fail(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      if (match.expired) return fail(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired.`);
    } else if (kind === 'certificate') {
      const problem = this.checkAssertion(app, assertion ?? '');
      if (problem) return fail(401, 'invalid_client', problem.code, problem.text);
    } else {
      return fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, { clientId, expiresAt: this.clock.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    this.tokenRequests.push({ clientId, kind, ok: true });
    return { status: 200, body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token: accessToken } };
  }

  private checkAssertion(app: AppRegistration, jwt: string): { code: number; text: string } | undefined {
    const [h, p, s] = jwt.split('.');
    const header = b64urlJson(h);
    const payload = b64urlJson(p);
    if (!header || !payload || !s) return { code: 50027, text: 'JWT token is invalid or malformed.' };
    const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
    const x5t = typeof header['x5t'] === 'string' ? header['x5t'] : undefined;
    let key: KeyObject | undefined;
    for (const pem of app.certificates) {
      const raw = new X509Certificate(pem).raw;
      if ((x5tS256 && createHash('sha256').update(raw).digest('base64url') === x5tS256)
        || (x5t && createHash('sha1').update(raw).digest('base64url') === x5t)) key = createPublicKey(pem);
    }
    if (!key) return { code: 700027, text: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${x5tS256 ?? x5t ?? ''}']` };
    const data = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok = header['alg'] === 'PS256'
      ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
      : header['alg'] === 'RS256' && verify('sha256', data, key, sig);
    if (!ok) return { code: 700027, text: 'Client assertion contains an invalid signature.' };
    if (payload['aud'] !== this.tokenEndpoint()) return { code: 700212, text: `No matching federated identity record found for presented assertion audience '${String(payload['aud'])}'.` };
    if (payload['iss'] !== app.clientId || payload['sub'] !== app.clientId) return { code: 700023, text: 'Client assertion audience claim does not match Realm issuer.' };
    // MSAL signs with the real time, whatever the simulator's clock says.
    if (typeof payload['exp'] !== 'number' || payload['exp'] * 1000 < Date.now()) return { code: 700024, text: 'Client assertion is not within its valid time range.' };
    return undefined;
  }

  /** The app behind a bearer token, or why it is refused. */
  check(authorization: string | undefined): { ok: true; clientId: string } | { ok: false; message: string } {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!m?.[1]) return { ok: false, message: 'Access token is empty.' };
    const t = this.tokens.get(m[1]);
    if (!t) return { ok: false, message: 'Access token validation failure. Invalid audience.' };
    if (t.expiresAt <= this.clock.now()) return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
    return { ok: true, clientId: t.clientId };
  }
}
