/**
 * Connecting the real SDKs to the simulator: a test service-account key, a JWT whose transporter
 * sends https://oauth2.googleapis.com/token to the simulator, and Gmail / Calendar clients with
 * `rootUrl` pointed at it. The connector's own transport does the same through its options.
 */
import { generateKeyPairSync } from 'node:crypto';
import { gaxios, JWT } from 'google-auth-library';
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';

export interface SimulatorEndpoint {
  readonly origin: string;
  readonly rootUrl: string;
}

export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  /** The JSON key file as the Google Cloud console gives it. */
  readonly keyFile: Record<string, string>;
}

/** A fresh RSA 2048 service-account key (PKCS#8 private key, SPKI public key). */
export function makeServiceAccountKey(clientEmail: string, clientId = '104829365501234567890'): ServiceAccountKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const project = clientEmail.split('@')[1]?.split('.')[0] ?? 'wardwatch';
  return {
    clientEmail, privateKeyPem: privateKey, publicKeyPem: publicKey,
    keyFile: {
      type: 'service_account', project_id: project, private_key_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', private_key: privateKey,
      client_email: clientEmail, client_id: clientId, auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`, universe_domain: 'googleapis.com',
    },
  };
}

/**
 * A Gaxios (google-auth-library's own copy: `import { gaxios } from 'google-auth-library'`, so the
 * types match the JWT's `transporter`) whose request interceptor rewrites https://oauth2.googleapis.com/ to the simulator's
 * origin. With `noRetry` (default) it also turns off gaxios' own retries (gtoken asks for them on
 * the token POST), so a test sees each fault once.
 */
export function simTransporter(sim: SimulatorEndpoint, opts: { noRetry?: boolean } = {}): gaxios.Gaxios {
  const transporter = new gaxios.Gaxios();
  transporter.interceptors.request.add({
    resolved: async (config) => {
      const href = config.url.toString();
      if (href.startsWith('https://oauth2.googleapis.com/')) config.url = new URL(href.replace('https://oauth2.googleapis.com/', `${sim.origin}/`));
      if (opts.noRetry !== false) {
        config.retry = false;
        delete config.retryConfig;
      }
      return config;
    },
  });
  return transporter;
}

export function serviceAccountAuth(sim: SimulatorEndpoint, key: Pick<ServiceAccountKey, 'clientEmail' | 'privateKeyPem'>,
  opts: { subject: string; scopes: string[]; noRetry?: boolean }): JWT {
  return new JWT({
    email: key.clientEmail, key: key.privateKeyPem, scopes: opts.scopes, subject: opts.subject,
    transporter: simTransporter(sim, opts.noRetry === undefined ? {} : { noRetry: opts.noRetry }),
  });
}

export function gmailClient(sim: SimulatorEndpoint, auth: JWT): gmail_v1.Gmail {
  return new gmail_v1.Gmail({ auth, rootUrl: sim.rootUrl, retry: false });
}

export function calendarClient(sim: SimulatorEndpoint, auth: JWT): calendar_v3.Calendar {
  return new calendar_v3.Calendar({ auth, rootUrl: sim.rootUrl, retry: false });
}
