/**
 * Who wrote it: a message that claims a council person is attributed to them only when something
 * other than its own word vouches for it — a pass from a receiving server the council trusts, or a
 * copy in that person's own watched Sent folder. Anyone outside can write a council address in
 * From, and an Authentication-Results header beneath it.
 */
import { describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import { computeMailFacts } from '../../src/engine/facts.js';
import { Directory } from '../../src/directory/directory.js';
import type { MailItem } from '../../src/items/types.js';
import { horizonFor } from '../../src/pipeline/check.js';
import { ItemStream } from '../../src/pipeline/item-stream.js';
import { A, councilConfigInput } from '../support/council.js';

const NOW = '2027-03-08T09:00:00.000Z';
const MX = 'mx.millbrook-tc.gov.uk';
const config = ConfigSchema.parse({ ...councilConfigInput, authentication: { trustedServers: [MX] } });
const engine = new Engine(config);
const directory = new Directory(config);

/** Cllr Raj Mehta asking an officer for work without the Clerk: requests-via-clerk nudges him, when it is him. */
function rajToDan(...authenticationResults: string[]): Buffer {
  return Buffer.from(
    [
      ...authenticationResults.map((h) => `Authentication-Results: ${h}`),
      'From: Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>',
      'To: Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
      'Subject: Benches in Riverside Park',
      'Date: Fri, 5 Mar 2027 12:30:00 +0000',
      `Message-ID: <benches-${authenticationResults.length}-${authenticationResults.join('').length}@millbrook-tc.gov.uk>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hi Dan,',
      '',
      'Could you please arrange for the benches by the bandstand in Riverside Park to be repainted before the',
      'Easter weekend? Several residents have mentioned how shabby they look.',
      '',
      'Thanks,',
      'Raj',
      '',
    ].join('\r\n'),
  );
}

async function read(source: Buffer, mailbox: string, folder: string, trusted: string[] = [MX]): Promise<MailItem> {
  const stream = new ItemStream({
    timeZone: config.council.timezone,
    horizon: horizonFor(NOW, config.horizonDays),
    isRoomCalendar: () => false,
    trustedAuthservIds: trusted,
  });
  const [item] = await stream.take({ kind: 'mail', source, mailbox, folder, origin: `test:${mailbox}/${folder}` });
  if (item?.kind !== 'mail') throw new Error('expected a mail item');
  return item;
}

function nudgedRaj(item: MailItem): boolean {
  const { findings } = engine.evaluate(item, NOW);
  return findings.some((f) => f.actions.some((a) => a.to.includes(A.raj)));
}

describe('attribution of mail that claims a council person', () => {
  test('no Authentication-Results at all, seen only in an inbox: not attributed, no nudge, reported as possible spoofing', async () => {
    const item = await read(rajToDan(), A.dan, 'inbox');
    const facts = computeMailFacts(item, directory);
    expect(facts.author).toBeUndefined();
    expect(facts.spoofSuspected).toBe(true);
    expect(nudgedRaj(item)).toBe(false);
    const { notices } = engine.evaluate(item, NOW);
    expect(notices).toEqual([
      expect.objectContaining({ kind: 'possible-spoofing', message: expect.stringContaining('Cllr Raj Mehta, but no trusted receiving server passed it') }),
    ]);
  });

  test('a forged pass below the trusted server’s own stamp is not believed', async () => {
    const item = await read(
      rajToDan(
        `${MX}; spf=pass smtp.mailfrom=bulk-sender.example; dkim=none; dmarc=none header.from=millbrook-tc.gov.uk`,
        'mx.millbrook-tc.gov.uk.evil.example; spf=pass smtp.mailfrom=millbrook-tc.gov.uk; dkim=pass header.d=millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk',
      ),
      A.dan,
      'inbox',
    );
    expect(item.authentication.trustedPass).toBeUndefined();
    expect(computeMailFacts(item, directory).author).toBeUndefined();
    expect(nudgedRaj(item)).toBe(false);
  });

  test('a forged header that borrows the trusted server’s name, below a stamp with nothing for the council domain, is not read', async () => {
    const item = await read(
      rajToDan(`${MX}; spf=pass smtp.mailfrom=bulk-sender.example`, `${MX}; dmarc=pass header.from=millbrook-tc.gov.uk`),
      A.dan,
      'inbox',
    );
    expect(item.authentication.trustedPass).toBeUndefined();
    expect(nudgedRaj(item)).toBe(false);
  });

  test('an untrusted server’s pass counts for nothing when no server is trusted', async () => {
    const item = await read(rajToDan(`${MX}; dmarc=pass header.from=millbrook-tc.gov.uk`), A.dan, 'inbox', []);
    expect(item.authentication).toMatchObject({ failed: false, dmarc: 'pass' });
    expect(nudgedRaj(item)).toBe(false);
  });

  test('a pass from the trusted receiving server attributes it: Raj is nudged', async () => {
    const item = await read(
      rajToDan(`${MX}; spf=pass smtp.mailfrom=millbrook-tc.gov.uk; dkim=pass header.d=millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk`),
      A.dan,
      'inbox',
    );
    expect(item.authentication.trustedPass).toBe(true);
    expect(computeMailFacts(item, directory).author?.name).toBe('Cllr Raj Mehta');
    expect(nudgedRaj(item)).toBe(true);
  });

  test('an aligned DKIM pass from the trusted server is enough without DMARC', async () => {
    const item = await read(rajToDan(`${MX}; spf=none; dkim=pass header.d=millbrook-tc.gov.uk`), A.dan, 'inbox');
    expect(item.authentication.trustedPass).toBe(true);
  });

  test('Exchange Online: only the topmost header, which has no authserv-id, is believed', async () => {
    const m365 = 'spf=pass (sender IP is 40.107.22.51) smtp.mailfrom=millbrook-tc.gov.uk; dkim=pass (signature was verified) header.d=millbrook-tc.gov.uk;dmarc=pass action=none header.from=millbrook-tc.gov.uk;compauth=pass reason=100';
    expect((await read(rajToDan(m365), A.dan, 'inbox', ['exchange-online'])).authentication.trustedPass).toBe(true);
    const forgedBelow = await read(rajToDan('spf=fail smtp.mailfrom=bulk-sender.example', m365), A.dan, 'inbox', ['exchange-online']);
    expect(forgedBelow.authentication.trustedPass).toBeUndefined();
  });

  test('the copy in Raj’s own watched Sent folder needs no header at all', async () => {
    const item = await read(rajToDan(), A.raj, 'sent', []);
    expect(computeMailFacts(item, directory).author?.name).toBe('Cllr Raj Mehta');
    expect(nudgedRaj(item)).toBe(true);
  });

  test('a Sent folder that is not the sender’s own vouches for nothing', async () => {
    const item = await read(rajToDan(), A.sue, 'sent', []);
    expect(computeMailFacts(item, directory).author).toBeUndefined();
  });

  test('mail from outside the directory is judged as before: a resident needs no vouching', async () => {
    const source = Buffer.from(rajToDan().toString('utf8').replace('Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>', 'Jo Resident <jo@example.org>'));
    const item = await read(source, A.dan, 'inbox');
    const facts = computeMailFacts(item, directory);
    expect(facts.spoofSuspected).toBe(false);
    expect(facts.authorAddress).toBe('jo@example.org');
  });
});
