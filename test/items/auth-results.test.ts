import { describe, expect, it } from 'vitest';
import { assessAuthentication, parseAuthenticationResults } from '../../src/items/auth-results.js';

const CLERK = 'clerk@millbrook-tc.gov.uk';

describe('parseAuthenticationResults', () => {
  it('reads a folded header with comments, versions and quoted values', () => {
    const parsed = parseAuthenticationResults(
      [
        'Authentication-Results: mx.millbrook-tc.gov.uk 1;',
        '\tspf=pass (sender IP is 40.107.22.51) smtp.mailfrom=millbrook-tc.gov.uk;',
        '\tdkim/1=fail (body hash did not verify) header.d=millbrook-tc.gov.uk header.s="selector1";',
        '\tdmarc=fail action=quarantine (p=quarantine (nested comment)) header.from=Millbrook-TC.gov.uk;',
        '\tarc=none',
      ].join('\r\n'),
    );
    expect(parsed).toEqual({
      authservId: 'mx.millbrook-tc.gov.uk',
      results: [
        { method: 'spf', result: 'pass', domain: 'millbrook-tc.gov.uk' },
        { method: 'dkim', result: 'fail', domain: 'millbrook-tc.gov.uk' },
        { method: 'dmarc', result: 'fail', domain: 'millbrook-tc.gov.uk' },
      ],
    });
  });

  it('reads header.i=@domain, a mailfrom address, unknown methods and "none"', () => {
    expect(parseAuthenticationResults('mx.example; dkim=pass header.i=@Gmail.com; iprev=pass policy.iprev=1.2.3.4').results).toEqual([
      { method: 'dkim', result: 'pass', domain: 'gmail.com' },
    ]);
    expect(parseAuthenticationResults('mx.example; spf=softfail smtp.mailfrom=bounce@lists.example.org').results).toEqual([
      { method: 'spf', result: 'softfail', domain: 'lists.example.org' },
    ]);
    expect(parseAuthenticationResults('mx.example; none')).toEqual({ authservId: 'mx.example', results: [] });
    expect(parseAuthenticationResults('mx.example; spf=bogus smtp.mailfrom=x.example').results).toEqual([]);
  });

  it('keeps a semicolon inside a quoted value or a comment from splitting results', () => {
    const parsed = parseAuthenticationResults('mx.example; dkim=pass reason="good; really" header.d=a.example (x; y); spf=fail smtp.mailfrom=b.example');
    expect(parsed.results).toEqual([
      { method: 'dkim', result: 'pass', domain: 'a.example' },
      { method: 'spf', result: 'fail', domain: 'b.example' },
    ]);
  });
});

describe('assessAuthentication', () => {
  it('has nothing to say without headers', () => {
    expect(assessAuthentication([], CLERK)).toEqual({ failed: false, detail: 'no authentication results for millbrook-tc.gov.uk' });
    expect(assessAuthentication([])).toEqual({ failed: false, detail: 'no authentication results' });
  });

  it('fails on dmarc=fail for the From domain', () => {
    const verdict = assessAuthentication(['mx.millbrook-tc.gov.uk; dmarc=fail (p=reject) header.from=millbrook-tc.gov.uk'], CLERK);
    expect(verdict).toEqual({ dmarc: 'fail', failed: true, detail: 'DMARC failed for millbrook-tc.gov.uk (header.from)' });
  });

  it('lets a DMARC pass outweigh an SPF failure', () => {
    const verdict = assessAuthentication(
      ['mx.example; spf=fail smtp.mailfrom=millbrook-tc.gov.uk; dkim=pass header.d=millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk'],
      CLERK,
    );
    expect(verdict).toEqual({ spf: 'fail', dkim: 'pass', dmarc: 'pass', failed: false, detail: 'DMARC passed for millbrook-tc.gov.uk (header.from)' });
  });

  it('fails when SPF and DKIM both fail for the From domain without a DMARC result', () => {
    const verdict = assessAuthentication(['mx.example; spf=softfail smtp.mailfrom=millbrook-tc.gov.uk; dkim=fail'], CLERK);
    expect(verdict).toMatchObject({ spf: 'softfail', dkim: 'fail', failed: true });
    expect(verdict.detail).toBe('SPF (softfail) and DKIM both failed for millbrook-tc.gov.uk');
  });

  it('assumes an SPF result without smtp.mailfrom is about the From domain', () => {
    expect(assessAuthentication(['mx.example; spf=fail; dkim=fail'], CLERK).failed).toBe(true);
  });

  it('does not fail on an SPF failure alone', () => {
    const verdict = assessAuthentication(['mx.example; spf=fail smtp.mailfrom=millbrook-tc.gov.uk; dkim=none'], CLERK);
    expect(verdict).toMatchObject({ spf: 'fail', dkim: 'none', failed: false });
    expect(verdict.detail).toBe('no failed checks for millbrook-tc.gov.uk (spf=fail, dkim=none)');
  });

  it('fails on a DKIM signature of the From domain that failed, unless another passed', () => {
    const failed = assessAuthentication(['mx.example; dkim=fail header.d=millbrook-tc.gov.uk'], CLERK);
    expect(failed).toMatchObject({ dkim: 'fail', failed: true });
    expect(failed.detail).toBe('the DKIM signature of millbrook-tc.gov.uk failed (header.d) and no other signature passed');
    const rescued = assessAuthentication(['mx.example; dkim=fail header.d=millbrook-tc.gov.uk; dkim=pass header.d=millbrook-tc.gov.uk'], CLERK);
    expect(rescued).toMatchObject({ dkim: 'pass', failed: false });
  });

  it('judges SPF against the envelope domain: a mailing service’s bounce domain says nothing about the From domain', () => {
    const verdict = assessAuthentication(['mx.example; spf=fail smtp.mailfrom=bounces.mailservice.example; dkim=fail'], CLERK);
    expect(verdict.spf).toBeUndefined();
    expect(verdict.failed).toBe(false);
  });

  it('treats a subdomain as the same organisation', () => {
    expect(assessAuthentication(['mx.example; dmarc=fail header.from=mail.millbrook-tc.gov.uk'], CLERK).failed).toBe(true);
  });

  it('uses the topmost header with results for the From domain, skipping ones about other domains', () => {
    const headers = [
      'list.example.org; dkim=pass header.d=lists.example.org; spf=pass smtp.mailfrom=lists.example.org',
      'mx.millbrook-tc.gov.uk; dmarc=fail header.from=millbrook-tc.gov.uk',
      'forged.example; dmarc=pass header.from=millbrook-tc.gov.uk',
    ];
    expect(assessAuthentication(headers, CLERK)).toMatchObject({ dmarc: 'fail', failed: true });
    const forgedBelow = ['mx.millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk', 'forged.example; dmarc=fail header.from=millbrook-tc.gov.uk'];
    expect(assessAuthentication(forgedBelow, CLERK).failed).toBe(false);
  });

  it('skips a header without results (authserv-id; none) and reads the next', () => {
    expect(assessAuthentication(['mx.example; none', 'mx2.example; dmarc=fail header.from=millbrook-tc.gov.uk'], CLERK).failed).toBe(true);
  });

  it('believes only trusted receiving servers when a list is given (case-insensitive)', () => {
    const headers = ['evil.example; dmarc=pass header.from=millbrook-tc.gov.uk', 'MX.Millbrook-TC.gov.uk; dmarc=fail header.from=millbrook-tc.gov.uk'];
    expect(assessAuthentication(headers, CLERK).failed).toBe(false);
    expect(assessAuthentication(headers, CLERK, ['mx.millbrook-tc.gov.uk']).failed).toBe(true);
    expect(assessAuthentication(headers, CLERK, ['other.example'])).toEqual({
      failed: false,
      detail: 'no authentication results for millbrook-tc.gov.uk from a trusted receiving server',
    });
  });

  it('reads Microsoft 365 headers (bestguesspass, compauth)', () => {
    const header =
      'spf=pass (sender IP is 209.85.128.41) smtp.mailfrom=gmail.com; dkim=pass (signature was verified) header.d=gmail.com;dmarc=bestguesspass action=none header.from=gmail.com;compauth=pass reason=109';
    expect(parseAuthenticationResults(header)).toMatchObject({ authservId: '', results: [{ method: 'spf', result: 'pass', domain: 'gmail.com' }, {}, {}] });
    const verdict = assessAuthentication([`Authentication-Results: ${header}`], 'tombrown1960@gmail.com');
    expect(verdict).toEqual({ spf: 'pass', dkim: 'pass', dmarc: 'pass', failed: false, detail: 'DMARC passed for gmail.com (header.from)' });
  });

  it('copes with a hostile, enormous header without results', () => {
    const header = `mx.example; dkim=${'a'.repeat(300_000)} ${'b'.repeat(300_000)}`;
    expect(assessAuthentication([header, 'mx.example; dmarc=fail header.from=millbrook-tc.gov.uk'], CLERK).failed).toBe(true);
  });

  it('does not count temporary or permanent errors as failures', () => {
    expect(assessAuthentication(['mx.example; spf=temperror; dkim=permerror header.d=millbrook-tc.gov.uk; dmarc=temperror'], CLERK).failed).toBe(false);
  });
});
