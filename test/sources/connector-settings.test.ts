/** Settings every connector reads alike (src/sources/connector-settings.ts). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configuredCalendar, emailAddress, plainOrSecret, readSettingFile, requiredSecret, watchedMailboxes } from '../../src/sources/connector-settings.js';

class TestConfigError extends Error {}
const fail = (message: string): Error => new TestConfigError(message);

describe('connector settings', () => {
  it('an address is trimmed and lower-cased; anything else is refused', () => {
    expect(emailAddress.parse(' Clerk@Example-TC.gov.uk ')).toBe('clerk@example-tc.gov.uk');
    expect(emailAddress.safeParse('clerk').success).toBe(false);
  });

  it('resolves ${ENV} references into the connector\'s own error, and leaves plain values as written', () => {
    expect(plainOrSecret('plain', 'connectors.x.f', {}, fail)).toBe('plain');
    expect(plainOrSecret('${WW_TEST_VALUE}', 'connectors.x.f', { WW_TEST_VALUE: 'v' }, fail)).toBe('v');
    expect(() => requiredSecret('${WW_TEST_MISSING}', 'connectors.x.secret', {}, fail)).toThrow(TestConfigError);
  });

  it('reads a file a setting names, and says which setting when it cannot', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-settings-'));
    const file = path.join(dir, 'key.pem');
    writeFileSync(file, 'text');
    expect(readSettingFile(file, 'connectors.x.keyFile', fail)).toBe('text');
    expect(() => readSettingFile(path.join(dir, 'absent'), 'connectors.x.keyFile', fail)).toThrow(/^connectors\.x\.keyFile: the file .* could not be read/);
  });

  it('checks mailboxes and calendars against the config, naming the connector', () => {
    const configured = [{ address: 'Clerk@example-tc.gov.uk', folders: ['inbox'] }];
    expect(watchedMailboxes('x', undefined, configured, fail)).toEqual([{ address: 'clerk@example-tc.gov.uk', folders: ['inbox'] }]);
    expect(() => watchedMailboxes('x', ['other@example-tc.gov.uk'], configured, fail)).toThrow(/^connectors\.x\.mailboxes names other@example-tc\.gov\.uk/);
    const calendars = [{ id: 'council-events', role: 'council' as const }];
    expect(configuredCalendar('x', 'council-events', calendars, fail).role).toBe('council');
    expect(() => configuredCalendar('x', 'chamber', calendars, fail)).toThrow(/connectors\.x\.calendars names the calendar "chamber".*\(council-events\)/);
  });
});
