/**
 * How a client reaches the simulator through the real Microsoft SDKs, which must trust its test
 * CA without NODE_EXTRA_CA_CERTS (read only when Node starts):
 *
 * - @azure/identity: `authorityHost` = the simulator's https origin, `disableInstanceDiscovery`,
 *   and a per-call pipeline policy that sets `tlsSettings.ca` on every request (MSAL's metadata
 *   and token requests go through the same pipeline).
 * - @microsoft/microsoft-graph-client: `baseUrl` and `customHosts` (the client attaches the token
 *   only to https URLs on Graph's hosts or the custom ones), and a last middleware that sends the
 *   request with node:https and the CA, in place of the default fetch handler.
 */
import { request as httpsRequest } from 'node:https';
import { ClientCertificateCredential, ClientSecretCredential, type ClientSecretCredentialOptions, type TokenCredential } from '@azure/identity';
import { AuthenticationHandler, Client, RetryHandler, RetryHandlerOptions, type Context, type Middleware } from '@microsoft/microsoft-graph-client';

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface SimulatorEndpoint {
  readonly origin: string;
  readonly graphBaseUrl: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly caPem: string;
  readonly host: string;
}

function trustPolicy(caPem: string): PipelinePolicy {
  return {
    name: 'trust-simulator-ca',
    sendRequest: (req, next) => {
      req.tlsSettings = { ...(req.tlsSettings ?? {}), ca: caPem };
      return next(req);
    },
  };
}

function credentialOptions(sim: SimulatorEndpoint) {
  return {
    authorityHost: sim.authorityHost,
    disableInstanceDiscovery: true,
    additionalPolicies: [{ policy: trustPolicy(sim.caPem), position: 'perCall' as const }],
  };
}

export function secretCredential(sim: SimulatorEndpoint, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(sim.tenantId, clientId, secret, credentialOptions(sim));
}

export function certificateCredential(sim: SimulatorEndpoint, clientId: string, certificatePath: string): ClientCertificateCredential {
  return new ClientCertificateCredential(sim.tenantId, clientId, certificatePath, credentialOptions(sim));
}

function headerPairs(h: unknown): Array<[string, string]> {
  if (h === undefined || h === null) return [];
  if (h instanceof Headers) return [...h.entries()];
  if (Array.isArray(h)) return h.map(([k, v]) => [String(k), String(v)]);
  return Object.entries(h as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

/** The chain's last link: sends the request over node:https trusting `caPem`. */
export class CaTrustingHttpHandler implements Middleware {
  constructor(private readonly caPem: string) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const opts = context.options ?? {};
    const body = opts.body === undefined || opts.body === null ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    context.response = await new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method: opts.method ?? 'GET', ca: this.caPem, headers: Object.fromEntries(headerPairs(opts.headers)) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          const status = res.statusCode ?? 500;
          const payload = Buffer.concat(chunks);
          resolve(new Response([101, 204, 205, 304].includes(status) || payload.length === 0 ? null : payload, { status, statusText: res.statusMessage ?? '', headers }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

export interface GraphClientOptions {
  /** Keep the SDK's retry middleware (it sleeps for Retry-After, so tests mostly leave it out). */
  retry?: RetryHandlerOptions;
}

export function graphClient(sim: SimulatorEndpoint, credential: TokenCredential, opts: GraphClientOptions = {}): Client {
  const auth = new AuthenticationHandler({
    getAccessToken: async () => {
      const t = await credential.getToken(GRAPH_SCOPE);
      if (!t) throw new Error('The credential returned no token.');
      return t.token;
    },
  });
  const chain: Middleware[] = [auth];
  if (opts.retry) chain.push(new RetryHandler(opts.retry));
  chain.push(new CaTrustingHttpHandler(sim.caPem));
  for (let i = 0; i < chain.length - 1; i++) chain[i]?.setNext?.(chain[i + 1] as Middleware);
  return Client.initWithMiddleware({ middleware: chain[0] as Middleware, baseUrl: sim.graphBaseUrl, customHosts: new Set([sim.host]) });
}
