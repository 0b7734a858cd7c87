/**
 * A throw-away certificate authority for the Graph simulator, made with the `openssl` command
 * (Node's crypto can make keys but not X.509 certificates). The CA signs the server's certificate
 * for 127.0.0.1 and localhost; clients trust it by passing `caPem` (NODE_EXTRA_CA_CERTS is read
 * only when Node starts). A separate self-signed client certificate stands in for the one an IT
 * contractor uploads to the Entra ID app registration.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  /** The CA certificate, PEM: what clients must trust. */
  readonly caPem: string;
  /** The server's certificate chain and key, PEM, for `https.createServer`. */
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

export interface ClientCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Certificate and key in one PEM, the form ClientCertificateCredential reads from a file. */
  readonly combinedPem: string;
  readonly thumbprintSha1: string;
  readonly thumbprintSha256: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'graph-sim-pki-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeTestPki(): TestPki {
  return withTempDir((dir) => {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
      '-subj', '/CN=Graph simulator test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
      '-subj', '/CN=127.0.0.1'], dir);
    writeFileSync(join(dir, 'server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      serverCertPem: readFileSync(join(dir, 'server.pem'), 'utf8'),
      serverKeyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    };
  });
}

export function makeClientCertificate(commonName = 'Wardwatch'): ClientCertificate {
  return withTempDir((dir) => {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'app.key', '-out', 'app.pem', '-days', '2',
      '-subj', `/CN=${commonName}`], dir);
    const certificatePem = readFileSync(join(dir, 'app.pem'), 'utf8');
    const privateKeyPem = readFileSync(join(dir, 'app.key'), 'utf8');
    const raw = new X509Certificate(certificatePem).raw;
    return {
      certificatePem,
      privateKeyPem,
      combinedPem: `${privateKeyPem.trimEnd()}\n${certificatePem}`,
      thumbprintSha1: createHash('sha1').update(raw).digest('hex').toUpperCase(),
      thumbprintSha256: createHash('sha256').update(raw).digest('hex').toUpperCase(),
    };
  });
}
