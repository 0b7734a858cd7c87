import { afterEach, describe, expect, it } from 'vitest';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { AssembleError } from '../../src/service/assemble.js';
import { silentLogger } from '../../src/service/logger.js';
import { configuredSources } from '../../src/service/sources.js';
import { A } from '../support/council.js';
import { assembleForTest, makeCouncil, type TestCouncil } from './helpers.js';

const IMAP = {
  host: 'imap.millbrook-tc.gov.uk',
  user: 'wardwatch',
  password: '${WARDWATCH_TEST_IMAP_PASSWORD}',
  mailboxes: { 'clerk@millbrook-tc.gov.uk': { password: '${WARDWATCH_TEST_IMAP_PASSWORD}' } },
  smtp: { host: 'smtp.millbrook-tc.gov.uk', user: 'wardwatch', password: '${WARDWATCH_TEST_IMAP_PASSWORD}' },
  caldav: {
    url: 'https://dav.millbrook-tc.gov.uk/',
    user: 'wardwatch',
    password: '${WARDWATCH_TEST_IMAP_PASSWORD}',
    calendars: { 'council-chamber': '/calendars/chamber/' },
  },
};

const memoryCursors = { getCursor: (): Promise<string | undefined> => Promise.resolve(undefined), setCursor: (): Promise<void> => Promise.resolve() };

let council: TestCouncil | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
  delete process.env['WARDWATCH_TEST_IMAP_PASSWORD'];
});

describe('the sources the service watches', () => {
  it('are the IMAP connector and the folder source, each owning its calendars', async () => {
    council = makeCouncil({
      connectors: { folder: { dir: './source', watch: false }, imap: IMAP },
      mailboxes: [{ address: A.clerk }],
    });
    const { loaded } = setupEngine(council.configFile);
    const configured = await configuredSources(loaded, council.sourceDir, memoryCursors, { logger: silentLogger(), env: { WARDWATCH_TEST_IMAP_PASSWORD: 'not-a-real-password' } });
    expect(configured.sources.map((s) => s.name)).toEqual(['imap', 'folder']);
    const [imap, folder] = configured.sources;
    expect(configured.calendarOwner('council-chamber')).toBe(imap);
    expect(configured.calendarOwner('council-events')).toBe(folder);
    expect(configured.calendarOwner('council-chamber')?.capabilities).toEqual({ addAttendees: true, declineBooking: true });
    expect(configured.calendarOwner('council-events')?.capabilities).toEqual({ addAttendees: false, declineBooking: false });
    expect(imap && configured.watch(imap)).toBe(true);
    expect(folder && configured.watch(folder)).toBe(false);
  });

  it('send through the IMAP connector when the config says so', async () => {
    process.env['WARDWATCH_TEST_IMAP_PASSWORD'] = 'not-a-real-password';
    council = makeCouncil({ connectors: { imap: IMAP }, mailboxes: [{ address: A.clerk }], sender: { kind: 'connector', connector: 'imap' } });
    const assembled = await assembleForTest(council, { http: false });
    expect(assembled.sender).toBe(assembled.sources.connector('imap')?.sender);
    expect(assembled.sender.name).toBe('imap');
    await assembled.store.close();
  });

  it('refuse to start when mail is to go through an IMAP connector that cannot send', async () => {
    process.env['WARDWATCH_TEST_IMAP_PASSWORD'] = 'not-a-real-password';
    const { smtp: _smtp, ...withoutSmtp } = IMAP;
    council = makeCouncil({ connectors: { imap: withoutSmtp }, mailboxes: [{ address: A.clerk }], sender: { kind: 'connector', connector: 'imap' } });
    const c = council;
    await expect(assembleForTest(c, { http: false })).rejects.toThrow(AssembleError);
    await expect(assembleForTest(c, { http: false })).rejects.toThrow(/has no smtp settings/);
  });
});
