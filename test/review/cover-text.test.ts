import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from '../../src/actions/executor.js';
import { withCoverText } from '../../src/actions/messages.js';
import { planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import type { RenderedMessage } from '../../src/templates/render.js';
import { ActionBench, FakeCalendarSource, rawMail } from '../actions/harness.js';
import { action, finding } from '../outbox/fixtures.js';
import { A, event } from '../support/council.js';

const FRIDAY_MORNING = '2026-11-20T10:00:00.000Z';
const APRIL_MONDAY = '2027-04-12T09:00:00.000Z';

const rendered: RenderedMessage = {
  subject: 'A gentle reminder',
  text: 'Dear Councillor Green,\n\nThis is a short note.\n\nKind regards,\nThe Clerk\n',
  html: '<!DOCTYPE html>\n<html lang="en-GB">\n<body>\n<p>Dear Councillor Green,</p>\n<p>This is a short note.</p>\n</body>\n</html>\n',
};

describe('withCoverText', () => {
  it('puts the Clerk’s paragraphs after the greeting in the text part', () => {
    const out = withCoverText(rendered, 'We spoke on Monday.\r\nThank you.\n\n\n\nHelen');
    expect(out.text).toBe('Dear Councillor Green,\n\nWe spoke on Monday.\nThank you.\n\nHelen\n\nThis is a short note.\n\nKind regards,\nThe Clerk\n');
    expect(out.subject).toBe(rendered.subject);
  });

  it('puts them after the first paragraph of the HTML part, escaped, one <p> per paragraph', () => {
    const out = withCoverText(rendered, '<script>alert("x")</script> & Co\nline two\n\nSecond');
    expect(out.html).toContain(
      '<p>Dear Councillor Green,</p>\n<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co<br>\nline two</p>\n<p>Second</p>\n<p>This is a short note.</p>',
    );
    expect(out.html).not.toContain('<script>');
  });

  it('leaves the message as it is without cover text, and drops control characters', () => {
    expect(withCoverText(rendered, undefined)).toBe(rendered);
    expect(withCoverText(rendered, ' \n ')).toBe(rendered);
    expect(withCoverText(rendered, 'Ring\u0007 me\u202E').text).toContain('\n\nRing me\n\n');
  });
});

let bench: ActionBench;
afterEach(async () => await bench?.dispose());

function blindCopy(): Buffer {
  return rawMail({
    messageId: '<bcc-cover@millbrook-tc.gov.uk>',
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    bcc: ['raj.mehta@millbrook-tc.gov.uk'],
    subject: 'Castle Street bins',
    body: 'Hi Sam,\n\nThe bins were missed again on Monday.\n\nThanks,\nAlice',
  });
}

describe('preview and the message sent', () => {
  it('shows exactly what the file sender then writes, cover text included, without sending or changing anything', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING, config: { review: true } });
    await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    const nudge = await bench.effect('nudge', A.alice);
    expect(nudge.state).toBe('awaiting-review');
    const actions = new ClerkActions({ store: bench.store, planning: planningContextFrom(bench.config, bench.engine.directory), clock: bench.now });
    await actions.setCoverText(nudge.key, 'helen', 'Thank you for <b>telling</b> me & the team.\n\nHelen');
    const executor = createExecutor(bench.executorDeps());
    const held = await bench.store.getEffect(nudge.key);
    if (!held) throw new Error('the nudge is gone');
    const auditBefore = await bench.store.listAudit({ effectKey: nudge.key });
    const preview = await executor.preview(held);
    expect(preview?.to).toEqual([A.alice]);
    expect(preview?.text).toMatch(/^Dear Councillor Green,\n\nThank you for <b>telling<\/b> me & the team\.\n\nHelen\n\nThis is a short note about your message/);
    // Nothing went, nothing changed.
    expect(bench.files()).toEqual([]);
    expect(await bench.store.listAudit({ effectKey: nudge.key })).toEqual(auditBefore);
    expect((await bench.store.getEffect(nudge.key))?.state).toBe('awaiting-review');

    expect(await actions.approve(nudge.key, 'helen')).toMatchObject({ ok: true });
    await bench.run();
    const written = await bench.writtenWithId(nudge.messageId);
    expect(written.mail.subject).toBe(preview?.subject);
    expect(written.mail.text).toBe(preview?.text);
    expect(written.to).toEqual(preview?.to);
    expect(written.mail.html).toContain('<p>Dear Councillor Green,</p>\n<p>Thank you for &lt;b&gt;telling&lt;/b&gt; me &amp; the team.</p>\n<p>Helen</p>');
    expect(written.mail.html).not.toContain('<b>telling</b>');
  });

  it('previews the decline notice of a held room booking without declining it', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY, config: { review: true } });
    const room = new FakeCalendarSource('graph', { addAttendees: false, declineBooking: true });
    bench.sources.set('council-chamber', room);
    await bench.recordEvent(
      event({
        uid: 'market-square-future@millbrook-tc.gov.uk',
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Public meeting: the future of Market Square',
        location: 'Council Chamber, Market Square',
        start: '2027-04-15T18:30:00.000Z',
        attendees: [`room:${A.chamber}`, 'castle.traders@example.org'],
      }),
    );
    const block = await bench.effect('block');
    expect(block.state).toBe('awaiting-review');
    const preview = await createExecutor(bench.executorDeps()).preview(block);
    expect(preview).toMatchObject({ subject: 'Room booking declined: “Public meeting: the future of Market Square”', to: [A.alice] });
    expect(room.declineCalls).toEqual([]);
    expect(bench.files()).toEqual([]);
  });

  it('shows no message for a booking with nobody to tell, a digest entry, or a finding that no longer holds', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY, config: { review: true } });
    bench.sources.set('council-chamber', new FakeCalendarSource('graph', { addAttendees: false, declineBooking: true }));
    const unattended = finding({ rule: 'no-ward-meetings-before-elections', itemKey: 'nobody@x', actions: [action('block', [], { calendarId: 'council-chamber' }), action('digest')] });
    await bench.outbox.record({ key: 'nobody@x', contentHash: 'h1' }, [unattended]);
    const executor = createExecutor(bench.executorDeps());
    expect(await executor.preview(await bench.effect('block'))).toBeUndefined();
    expect(await executor.preview(await bench.effect('digest'))).toBeUndefined();
    await bench.outbox.record({ key: 'nobody@x', contentHash: 'h2' }, []);
    expect(await executor.preview(await bench.effect('block'))).toBeUndefined();
    expect(bench.files()).toEqual([]);
  });
});
