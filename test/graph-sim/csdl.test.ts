import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Message, Subscription } from '@microsoft/microsoft-graph-types';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCsdl, schemaProblems, type CsdlType } from './csdl.js';
import { MB, eml, startHarness, type Harness } from './harness.js';

const CSDL = new URL('../../../shared/graph/v1.0-Prod.csdl', import.meta.url);
const STRICT = new Set(['graph.message', 'graph.event', 'graph.subscription']);
const IMMUTABLE = 'IdType="ImmutableId"';

let types: Map<string, CsdlType>;
let h: Harness;
let hook: Server;
const notifications: unknown[] = [];

beforeAll(async () => {
  types = readCsdl(readFileSync(CSDL, 'utf8'));
  h = await startHarness();
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
      if (token !== null) { res.writeHead(200, { 'content-type': 'text/plain' }).end(token); return; }
      notifications.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await h.close();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
});

describe('Graph simulator payloads against v1.0-Prod.csdl', () => {
  it('reads the schema: message and event inherit outlookItem and entity, enums have members', () => {
    expect(types.get('graph.message')?.baseType).toBe('graph.outlookItem');
    expect(schemaProblems(types, 'graph.message', { id: 'x', changeKey: 'y', subject: 's' }, 'm', STRICT)).toEqual([]);
    // The check can fail: an invented property and a wrong enum value are both caught.
    expect(schemaProblems(types, 'graph.message', { effectKey: 'k', importance: 'urgent' }, 'm', STRICT))
      .toEqual(['m.effectKey: not a property of graph.message', 'm.importance: "urgent" is not a graph.importance value']);
    expect(schemaProblems(types, 'graph.event', { attendees: [{ emailAddress: { address: 'a', mailbox: 'b' } }] }, 'e', STRICT))
      .toEqual(['e.attendees[0].emailAddress.mailbox: not a property of graph.emailAddress']);
  });

  it('every message, event, subscription and notification property the simulator emits is in the schema', async () => {
    const port = (hook.address() as AddressInfo).port;
    const sub = await h.client.api('/subscriptions').post({
      changeType: 'created,updated', notificationUrl: `http://127.0.0.1:${port}/hooks/graph`, clientState: 'c',
      lifecycleNotificationUrl: `http://127.0.0.1:${port}/hooks/graph/lifecycle`,
      resource: `/users/${MB.sue}/mailFolders('inbox')/messages`, expirationDateTime: new Date(h.clock.now() + 86_400_000).toISOString(),
    }) as Subscription & { id: string };
    const received = await h.sim.deliver(MB.sue, 'inbox', eml({ from: MB.raj, to: [MB.sue], cc: [MB.clerk], subject: 'Hazel Avenue' }));
    await h.client.api(`/users/${MB.sue}/sendMail`).post({
      message: { subject: 'Reply', body: { contentType: 'html', content: '<p>Thanks</p>' }, toRecipients: [{ emailAddress: { address: MB.raj } }], bccRecipients: [{ emailAddress: { address: MB.clerk } }], internetMessageHeaders: [{ name: 'x-wardwatch-effect', value: 'k1' }] },
    });
    const draft = await h.client.api(`/users/${MB.service}/messages`).header('Prefer', IMMUTABLE).post({ subject: 'Draft', toRecipients: [{ emailAddress: { address: MB.sue } }] }) as Message;
    const mimeDraft = await h.client.api(`/users/${MB.service}/messages`).header('Content-Type', 'text/plain').header('Prefer', IMMUTABLE)
      .post(Buffer.from(eml({ from: MB.service, to: [MB.sue], bcc: [MB.clerk], subject: 'MIME draft', headers: { 'X-Wardwatch-Effect': 'k2' } })).toString('base64')) as Message;
    h.sim.subscriptions.lifecycle(sub.id, 'missed');
    await h.sim.subscriptions.flush();

    const messages: unknown[] = [
      await h.client.api(`/users/${MB.sue}/messages/${received}`).header('Prefer', IMMUTABLE).get(),
      ...(await h.client.api(`/users/${MB.sue}/mailFolders/sentitems/messages`).select('id,subject,internetMessageHeaders,bccRecipients').get() as { value: unknown[] }).value,
      ...(await h.client.api(`/users/${MB.sue}/mailFolders/sentitems/messages`).get() as { value: unknown[] }).value,
      ...(await h.client.api(`/users/${MB.sue}/mailFolders/inbox/messages/delta`).header('Prefer', IMMUTABLE).get() as { value: unknown[] }).value,
      draft, mimeDraft,
    ];
    const ev = h.sim.state.addEvent(MB.chamber, {
      subject: 'Surgery', start: { dateTime: '2027-04-24T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2027-04-24T11:00:00', timeZone: 'UTC' },
      organizer: { emailAddress: { address: MB.sue } }, location: { displayName: 'Council Chamber' },
      attendees: [{ type: 'resource', status: { response: 'tentativelyAccepted', time: '2027-04-01T10:00:00Z' }, emailAddress: { address: MB.chamber } }],
    });
    const fetched = await h.client.api(`/users/${MB.chamber}/events/${ev.id}`).get() as Event & { '@odata.etag': string };
    const patched = await h.client.api(`/users/${MB.chamber}/events/${ev.id}`).header('If-Match', fetched['@odata.etag']).patch({ attendees: [...(fetched.attendees ?? []), { type: 'optional', emailAddress: { address: MB.raj } }] });
    h.sim.state.deleteEvent(MB.chamber, ev.id);
    const events: unknown[] = [
      fetched, patched,
      ...(await h.client.api(`/users/${MB.chamber}/calendarView/delta?startDateTime=2027-04-01T00:00:00Z&endDateTime=2027-05-01T00:00:00Z`).get() as { value: unknown[] }).value,
      ...(await h.client.api(`/users/${MB.raj}/events`).get() as { value: unknown[] }).value,
    ];
    const subs: unknown[] = [sub, await h.client.api(`/subscriptions/${sub.id}`).get(), ...(await h.client.api('/subscriptions').get() as { value: unknown[] }).value];

    expect(messages.length).toBeGreaterThanOrEqual(6);
    expect(mimeDraft).toMatchObject({ isDraft: true, subject: 'MIME draft' });
    // Full resources, not a handful of ids: the check covers what the connector will read.
    expect(Object.keys(messages[0] as object).length).toBeGreaterThan(25);
    expect(Object.keys(events[0] as object).length).toBeGreaterThan(15);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(notifications.length).toBe(2);
    const problems = [
      ...messages.flatMap((m, i) => schemaProblems(types, 'graph.message', m, `message[${i}]`, STRICT)),
      ...events.flatMap((e, i) => schemaProblems(types, 'graph.event', e, `event[${i}]`, STRICT)),
      ...subs.flatMap((s, i) => schemaProblems(types, 'graph.subscription', s, `subscription[${i}]`, STRICT)),
      ...notifications.flatMap((n, i) => schemaProblems(types, 'graph.changeNotificationCollection', n, `notification[${i}]`, STRICT)),
    ];
    expect(problems).toEqual([]);
  });
});
