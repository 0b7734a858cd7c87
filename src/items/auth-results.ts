/**
 * Reading RFC 8601 `Authentication-Results` headers: did the receiving server find that the message
 * really comes from the domain in its From address? A failed check matters because a spoofed
 * message from "the Clerk" or "a councillor" must never make Wardwatch nudge anyone.
 *
 * Only SPF, DKIM and DMARC results are read. The topmost header (the latest, added by our own
 * receiving server) that has results for the From domain is the one believed; headers further
 * down were added by servers the message passed through before, or by the sender.
 *
 * Anyone can write an Authentication-Results header, so a pass counts only when it comes from a
 * receiving server the council named as trusted (its authserv-id): only then is `trustedPass` set,
 * and only a trusted pass lets a message from outside be attributed to a council person.
 */
import { domainOf } from './addresses.js';
import type { AuthResultValue, AuthenticationVerdict } from './types.js';

type Method = 'spf' | 'dkim' | 'dmarc';

interface MethodResult {
  method: Method;
  result: AuthResultValue;
  /** The domain the result is about (smtp.mailfrom / header.d or header.i / header.from); undefined when not stated. */
  domain?: string;
}

interface ParsedHeader {
  authservId: string;
  results: MethodResult[];
}

/** Real Authentication-Results headers are a few hundred characters; anything past this is ignored. */
const MAX_HEADER_CHARS = 16 * 1024;

const RESULT_VALUES: ReadonlyMap<string, AuthResultValue> = new Map<string, AuthResultValue>([
  ['pass', 'pass'],
  ['fail', 'fail'],
  ['hardfail', 'fail'],
  ['softfail', 'softfail'],
  ['neutral', 'neutral'],
  ['none', 'none'],
  ['temperror', 'temperror'],
  ['permerror', 'permerror'],
  ['policy', 'policy'],
  // Microsoft 365: "no DMARC record, but it would have passed".
  ['bestguesspass', 'pass'],
]);

/** Remove RFC 5322 comments (nested parentheses), leaving quoted strings untouched. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + value.charAt(i + 1);
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted) {
      if (c === '(') {
        depth++;
        continue;
      }
      if (c === ')' && depth > 0) {
        depth--;
        if (depth === 0) out += ' ';
        continue;
      }
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** Split on `;` outside quoted strings. */
function splitStatements(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' && quoted) {
      current += c + value.charAt(i + 1);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2
    ? value.slice(1, -1).replace(/\\(.)/g, '$1')
    : value;
}

/** A domain from a property value that may be a domain, an address, or `@domain`. */
function propertyDomain(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = unquote(value).trim().toLowerCase().replace(/\.$/, '');
  if (v.length === 0) return undefined;
  return v.includes('@') ? domainOf(v) : v;
}

function parseResult(statement: string): MethodResult | undefined {
  // The lookbehind starts a key only at the beginning of a word, which keeps the scan linear.
  const pairs = [...statement.matchAll(/(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(?:\/\d+)?\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)/g)];
  const first = pairs[0];
  if (!first) return undefined;
  const method = (first[1] ?? '').toLowerCase();
  if (method !== 'spf' && method !== 'dkim' && method !== 'dmarc') return undefined;
  const result = RESULT_VALUES.get(unquote(first[2] ?? '').toLowerCase());
  if (!result) return undefined;
  const props = new Map<string, string>();
  for (const pair of pairs.slice(1)) {
    const key = (pair[1] ?? '').toLowerCase();
    if (!props.has(key)) props.set(key, pair[2] ?? '');
  }
  const domain =
    method === 'spf'
      ? propertyDomain(props.get('smtp.mailfrom'))
      : method === 'dkim'
        ? (propertyDomain(props.get('header.d')) ?? propertyDomain(props.get('header.i')))
        : propertyDomain(props.get('header.from'));
  return domain ? { method, result, domain } : { method, result };
}

/** Parse one Authentication-Results header value (the field name may be included; folding is allowed). */
export function parseAuthenticationResults(header: string): ParsedHeader {
  const unfolded = header.slice(0, MAX_HEADER_CHARS).replace(/^\s*Authentication-Results\s*:/i, '').replace(/\r?\n[ \t]+/g, ' ');
  const [head = '', ...rest] = splitStatements(stripComments(unfolded));
  // An authserv-id never contains "=": Microsoft 365 leaves it out and starts with the first result.
  const headIsResult = head.includes('=');
  const authservId = headIsResult ? '' : (head.split(/\s+/)[0] ?? '').toLowerCase();
  const statements = headIsResult ? [head, ...rest] : rest;
  const results = statements.map(parseResult).filter((r): r is MethodResult => r !== undefined);
  return { authservId, results };
}

/**
 * The name that stands in `authentication.trustedServers` for Exchange Online (Microsoft 365), whose
 * Authentication-Results carry no authserv-id. Exchange stamps every message it receives from
 * outside the organisation, above any header the sender wrote, so only the topmost header is
 * believed, and only when it has no authserv-id.
 */
export const EXCHANGE_ONLINE = 'exchange-online';

/** True when two domains are the same, or one is a subdomain of the other (relaxed alignment). */
function related(domain: string | undefined, fromDomain: string | undefined): boolean {
  if (domain === undefined || fromDomain === undefined) return true;
  return domain === fromDomain || domain.endsWith(`.${fromDomain}`) || fromDomain.endsWith(`.${domain}`);
}

/** True when a result names a domain aligned with the From domain (a stated one; an unstated domain vouches for nothing). */
function aligned(r: MethodResult, fromDomain: string | undefined): boolean {
  return fromDomain !== undefined && r.domain !== undefined && related(r.domain, fromDomain);
}

/** A pass that shows the message comes from the From domain: DMARC, or an aligned DKIM signature or SPF envelope. */
function passesFor(results: readonly MethodResult[], fromDomain: string | undefined): boolean {
  return results.some((r) => r.result === 'pass' && aligned(r, fromDomain));
}

const FAILING: ReadonlySet<AuthResultValue> = new Set<AuthResultValue>(['fail', 'softfail']);

function summary(values: { spf?: AuthResultValue; dkim?: AuthResultValue; dmarc?: AuthResultValue }): string {
  return (['spf', 'dkim', 'dmarc'] as const)
    .filter((m) => values[m] !== undefined)
    .map((m) => `${m}=${values[m] ?? ''}`)
    .join(', ');
}

/**
 * Judge a message's authenticity from its Authentication-Results headers (topmost first).
 * `fromAddress` is the address in the From header; `trustedAuthservIds`, when given, limits the
 * headers believed to the topmost one added by a named receiving server, and only its pass for the
 * From domain sets `trustedPass`.
 */
export function assessAuthentication(
  headers: string[],
  fromAddress?: string,
  trustedAuthservIds?: string[],
): AuthenticationVerdict {
  const fromDomain = domainOf(fromAddress);
  const trusted = new Set((trustedAuthservIds ?? []).map((id) => id.toLowerCase()));
  let relevant: MethodResult[] = [];
  let fromTrusted = false;
  for (const [index, header] of headers.entries()) {
    const parsed = parseAuthenticationResults(header);
    const isTrusted =
      parsed.authservId === '' ? index === 0 && trusted.has(EXCHANGE_ONLINE) : trusted.has(parsed.authservId);
    if (trusted.size > 0 && !isTrusted) continue;
    relevant = parsed.results.filter((r) => related(r.domain, fromDomain));
    fromTrusted = isTrusted;
    // A trusted server's topmost header is its own stamp; a lower one bearing its name may have been
    // written by the sender, so it is never read in its place.
    if (relevant.length > 0 || isTrusted) break;
  }
  const forDomain = fromDomain ? ` for ${fromDomain}` : '';
  if (relevant.length === 0) {
    const fromWhom = trusted.size > 0 ? ' from a trusted receiving server' : '';
    return { failed: false, detail: `no authentication results${forDomain}${fromWhom}` };
  }
  const verdict = judge(relevant, fromDomain, forDomain);
  return fromTrusted && !verdict.failed && passesFor(relevant, fromDomain) ? { ...verdict, trustedPass: true } : verdict;
}

function judge(relevant: MethodResult[], fromDomain: string | undefined, forDomain: string): AuthenticationVerdict {
  const spfResult = relevant.find((r) => r.method === 'spf');
  const dmarcResult = relevant.find((r) => r.method === 'dmarc');
  const dkimResults = relevant.filter((r) => r.method === 'dkim');
  const dkimPass = dkimResults.some((r) => r.result === 'pass');
  const values = {
    ...(spfResult ? { spf: spfResult.result } : {}),
    ...(dkimResults[0] ? { dkim: dkimPass ? ('pass' as const) : dkimResults[0].result } : {}),
    ...(dmarcResult ? { dmarc: dmarcResult.result } : {}),
  };
  const domain = (r: MethodResult | undefined): string => r?.domain ?? fromDomain ?? 'the sender’s domain';

  if (dmarcResult?.result === 'fail') {
    return { ...values, failed: true, detail: `DMARC failed for ${domain(dmarcResult)} (header.from)` };
  }
  if (dmarcResult?.result === 'pass') {
    return { ...values, failed: false, detail: `DMARC passed for ${domain(dmarcResult)} (header.from)` };
  }
  const signedAndFailed = dkimResults.find((r) => FAILING.has(r.result) && r.domain !== undefined);
  if (signedAndFailed && !dkimPass) {
    return {
      ...values,
      failed: true,
      detail: `the DKIM signature of ${domain(signedAndFailed)} failed (header.d) and no other signature passed`,
    };
  }
  const dkimFailed = dkimResults.find((r) => FAILING.has(r.result));
  if (spfResult && FAILING.has(spfResult.result) && dkimFailed && !dkimPass) {
    return { ...values, failed: true, detail: `SPF (${spfResult.result}) and DKIM both failed for ${domain(spfResult)}` };
  }
  return { ...values, failed: false, detail: `no failed checks${forDomain} (${summary(values)})` };
}
