/**
 * The Clerk reads these in the log, /healthz and the digest: what went wrong with the mail
 * server, in words, with what to change.
 */
import { describe, expect, test } from 'vitest';
import { describeImapError, describeTlsError } from '../../../connectors/imap/errors.js';
import { describeSmtpError } from '../../../connectors/imap/smtp-sender.js';

const SERVER = 'mail.millbrook-tc.gov.uk:993';
const MAILBOX = 'clerk@millbrook-tc.gov.uk';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('TLS failures', () => {
  test('TLS spoken to a port that expects plain text or STARTTLS says which setting to change', () => {
    const err = new Error('807CEC9AED7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n');
    expect(describeImapError(err, 'mail.millbrook-tc.gov.uk:143', MAILBOX)).toBe(
      'the mail server mail.millbrook-tc.gov.uk:143 did not answer with TLS on that port; if it offers STARTTLS there (usually port 143 or 587), set connectors.imap.secure: false (Wardwatch then upgrades with STARTTLS), or use the server\'s TLS port (usually 993 or 465) with secure: true',
    );
    expect(describeSmtpError(err, 'mail.millbrook-tc.gov.uk:587', 'protocol@millbrook-tc.gov.uk')).toContain('set connectors.imap.smtp.secure: false');
  });

  test('a certificate that cannot be verified points to the CA file setting, without OpenSSL noise', () => {
    const err = withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(describeImapError(err, SERVER, MAILBOX)).toBe(
      `the certificate of the mail server ${SERVER} could not be verified (self-signed certificate); check the host name, or if the council uses its own certificate authority, give its certificate in connectors.imap.tls.caFile`,
    );
    expect(describeTlsError(withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), SERVER, 'connectors.imap')).toContain('could not be verified');
  });

  test('other failures are not taken for TLS ones', () => {
    expect(describeTlsError(withCode('connect ECONNREFUSED 127.0.0.1:993', 'ECONNREFUSED'), SERVER, 'connectors.imap')).toBeUndefined();
    expect(describeImapError(withCode('connect ECONNREFUSED 127.0.0.1:993', 'ECONNREFUSED'), SERVER, MAILBOX)).toBe(
      `could not talk to the mail server ${SERVER}: the connection was refused (is the server running?)`,
    );
    expect(describeImapError(Object.assign(new Error('Authentication failed'), { authenticationFailed: true }), SERVER, MAILBOX)).toBe(
      `the mail server ${SERVER} refused the login for ${MAILBOX}; check the user name and the password in its environment variable`,
    );
  });
});
