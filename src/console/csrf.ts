/**
 * Cross-site request forgery: every POST carries the session's token in the form field `csrf`,
 * compared in constant time, and a POST the browser says comes from another site (its Origin or
 * Sec-Fetch-Site header) is refused whatever it carries. SameSite=Strict on the session cookie is
 * the first line; these are the second and third. The forms shown before signing in — sign-in
 * itself, and the button that starts single sign-on — have no session to carry a token for, and
 * are taken on the Origin and Sec-Fetch-Site check alone (`originAllowed`), so that another site
 * cannot sign a person in, or start a sign-in that would replace their session.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The name of the form field every POST carries. */
export const CSRF_FIELD = 'csrf';

/** A fresh token: 32 random bytes, base64url. */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * True when the form's token equals the session's. Both are hashed first, so the comparison takes
 * the same time whatever the lengths and wherever they differ.
 */
export function csrfMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given === '' || expected === '') return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * True when a POST may be taken on the strength of where the browser says it comes from.
 *
 * `Sec-Fetch-Site`, when sent (every current browser sends it), must be `same-origin`: a form on
 * another site, or on a sibling site under the same domain, is refused. `Origin`, when sent, must
 * be this server's, as the browser addressed it (`http://` + Host) or as configured in
 * `console.publicUrl` — except that under the console's own `Referrer-Policy: no-referrer` a
 * browser sends `Origin: null` even for the console's own forms, which is accepted only when
 * `Sec-Fetch-Site` vouches for it. With neither header (older browsers, command-line clients,
 * which carry no cookies from another site anyway) the CSRF token alone decides.
 */
export function originAllowed(request: { origin?: string; fetchSite?: string; host?: string }, publicUrl: string | undefined): boolean {
  const { origin, fetchSite, host } = request;
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  if (origin === undefined) return true;
  if (origin === 'null') return fetchSite === 'same-origin';
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false;
  }
  const own: string[] = [];
  if (publicUrl !== undefined) own.push(new URL(publicUrl).origin);
  if (host !== undefined && host !== '') {
    try {
      own.push(new URL(`http://${host}`).origin);
    } catch {
      // A Host header that is not a host: nothing to match.
    }
  }
  return own.includes(given);
}
