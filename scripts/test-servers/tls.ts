/**
 * A throw-away self-signed certificate for 127.0.0.1, made with the openssl command (which
 * Postfix's Debian package pulls in). Clients in tests trust it by passing the PEM as `ca`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** The certificate in PEM form, for a client's `ca` option. */
  pem: string;
}

export function makeSelfSignedCertificate(dir: string): Certificate {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not make a test certificate with openssl (apt-get install -y openssl): ${detail}`);
  }
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}
