/**
 * A connection to a real Postfix cut after the message's final dot and before the server's answer,
 * in a running process (no crash): the message has gone, so it must never be sent again. Without
 * the Sent folder it is held in doubt; with the Sent folder the record is asked, exactly as after a
 * crash — a copy the server filed says it went. A small TCP relay in front of Postfix cuts the
 * connection where Postfix answers "250 … queued as" (the message is then queued and delivered).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseImapSettings, type ImapSettings } from '../../../connectors/imap/config.js';
import { SENDING_KEYWORD, SmtpSender } from '../../../connectors/imap/smtp-sender.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { Engine } from '../../../src/engine/engine.js';
import { composeMessage } from '../../../src/mime/compose.js';
import { effectKey, effectMessageId } from '../../../src/outbox/idempotency.js';
import { Outbox, planningContextFrom, SendInDoubtError } from '../../../src/outbox/outbox.js';
import type { OutgoingMessage } from '../../../src/sources/types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { councilConfigInput } from '../../support/council.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { folderSources, messageIdOf, waitForMessage } from './helpers.js';
import { enqueue } from '../../../src/outbox/enqueue.js';

const D = 'millbrook-tc.gov.uk';
const service = { address: `protocol@${D}`, password: 'service-Pa55' };
const tom = { address: `tom.brown@${D}`, password: 'tom-Pa55' };

let stack: MailStack;
let relay: CuttingRelay;

interface CuttingRelay {
  port: number;
  /** Cut the next `n` connections where the server answers a whole message. */
  cut(n: number, onCut?: () => Promise<void>): void;
  cuts: number;
  close(): Promise<void>;
}

async function startCuttingRelay(target: number): Promise<CuttingRelay> {
  const sockets = new Set<Socket>();
  let toCut = 0;
  let onCut: (() => Promise<void>) | undefined;
  const state: CuttingRelay = {
    port: 0,
    cuts: 0,
    cut(n, then) {
      toCut = n;
      onCut = then;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (toCut > 0 && /^250 [^\r\n]*queued as/m.test(chunk.toString('latin1'))) {
        // Postfix has queued the message; the sender never hears so.
        toCut -= 1;
        state.cuts += 1;
        client.destroy();
        upstream.destroy();
        void onCut?.();
        return;
      }
      if (!client.destroyed) client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The relay has no port.');
  state.port = address.port;
  return state;
}

function settings(smtp: Record<string, unknown> = {}): ImapSettings {
  return parseImapSettings(
    {
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      password: '${WW_SERVICE}',
      smtp: { host: '127.0.0.1', port: relay.port, password: '${WW_SERVICE}', plainLocal: true, ...smtp },
    },
    { councilName: 'Millbrook Town Council', serviceAddress: service.address, mailboxes: [], calendarIds: [] },
    { WW_SERVICE: service.password },
  );
}

function senderFor(s: ImapSettings, withSentMailbox: boolean): SmtpSender {
  if (!s.smtp) throw new Error('no smtp settings');
  return new SmtpSender({
    smtp: s.smtp,
    ...(withSentMailbox && s.service ? { sentMailbox: { server: s.server, credentials: s.service, address: s.serviceAddress } } : {}),
  });
}

function outgoing(id: string): OutgoingMessage {
  return {
    from: { address: service.address, name: 'Millbrook Town Council protocol' },
    to: [{ address: tom.address, name: 'Cllr Tom Brown' }],
    subject: 'A reminder about the Member/Officer Protocol',
    text: 'Dear Councillor Brown,\n\nPlease copy the Clerk into requests to officers.\n',
    messageId: id,
    headers: { 'X-Wardwatch-Key': `ww1;requests-via-clerk;${id};tom.brown@${D};nudge` },
  };
}

async function copiesIn(user: { address: string; password: string }, folder: string, id: string): Promise<Buffer[]> {
  return (await folderSources(stack.ports.imap, user, folder)).filter((s) => messageIdOf(s) === id);
}

async function failureOf(work: Promise<void>): Promise<unknown> {
  return work.then(
    () => undefined,
    (err: unknown) => err,
  );
}

beforeAll(async () => {
  stack = await startMailStack({ users: [service, tom] });
  relay = await startCuttingRelay(stack.ports.smtp);
});

afterAll(async () => {
  await relay?.close();
  await stack?.stop();
});

describe('an SMTP connection cut after the final dot, before the answer', () => {
  test('without the Sent folder: held in doubt by the outbox and never sent again', async () => {
    const sender = senderFor(settings(), false);
    const store = new SqliteStore(':memory:');
    try {
      const config = ConfigSchema.parse(councilConfigInput);
      const outbox = new Outbox(store, { planning: planningContextFrom(config, new Engine(config).directory), retry: { maxAttempts: 8, baseDelayMs: 0, maxDelayMs: 0 } });
      const key = effectKey({ rule: 'requests-via-clerk', itemKey: '<req-1@x.org>', recipient: tom.address, kind: 'nudge' });
      const id = effectMessageId(key, D);
      const now = new Date().toISOString();
      await enqueue(store, [{ key, kind: 'nudge', rule: 'requests-via-clerk', itemKey: '<req-1@x.org>', recipient: tom.address, payload: { summary: 'Request', clauses: ['3.1'] }, messageId: id, notBefore: now }], now);
      const execute = (): Promise<void> => sender.send(outgoing(id));

      relay.cut(1);
      expect((await outbox.runDue(execute)).inDoubt).toEqual([key]);
      expect(relay.cuts).toBe(1);
      for (let round = 0; round < 3; round++) expect((await outbox.runDue(execute)).done).toEqual([]);
      expect((await store.getEffect(key))?.state).toBe('in-doubt');

      await waitForMessage(stack.ports.imap, tom, 'INBOX', id);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await copiesIn(tom, 'INBOX', id)).toHaveLength(1);
    } finally {
      await store.close();
      await sender.close();
    }
  });

  test('with the Sent folder and only our marked copy there: nobody can tell, so in doubt', async () => {
    const sender = senderFor(settings(), true);
    const id = '<cut-sent-1@wardwatch.millbrook-tc.gov.uk>';
    try {
      relay.cut(1);
      const failure = await failureOf(sender.send(outgoing(id)));
      expect(failure).toBeInstanceOf(SendInDoubtError);
      expect(String(failure)).toMatch(/was handed over and before the server answered/);
      await waitForMessage(stack.ports.imap, tom, 'INBOX', id);
      expect(await sender.alreadySent(id)).toBe('unknown');
    } finally {
      await sender.close();
    }
    expect(await copiesIn(tom, 'INBOX', id)).toHaveLength(1);
  });

  test('with a server that files its own Sent copy (saveToSent: false): recognised as sent, settled, not sent again', async () => {
    const sender = senderFor(settings({ saveToSent: false, sentCopyWaitSeconds: 5 }), true);
    const id = '<cut-sent-2@wardwatch.millbrook-tc.gov.uk>';
    // What a server that files its own copies does once it has taken the message.
    const serverFilesCopy = async (): Promise<void> => {
      const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, auth: { user: service.address, pass: service.password }, logger: false });
      await client.connect();
      try {
        await client.append('Sent', await composeMessage(outgoing(id)), ['\\Seen']);
      } finally {
        await client.logout();
      }
    };
    try {
      relay.cut(1, serverFilesCopy);
      await sender.send(outgoing(id));
      expect(await sender.alreadySent(id)).toBe(true);
    } finally {
      await sender.close();
    }
    await waitForMessage(stack.ports.imap, tom, 'INBOX', id);
    expect(await copiesIn(tom, 'INBOX', id)).toHaveLength(1);
    // Our marked copy is gone: only the server's remains.
    const sent = await copiesIn(service, 'Sent', id);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.toString('utf8')).not.toContain(SENDING_KEYWORD);
  });
});
