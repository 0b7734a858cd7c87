/**
 * The connector registry: the one list of connectors. An unknown name under `connectors:` (or as
 * the sender's connector) is refused with the names available; each module's own schema checks
 * its section when the file is loaded (defaults filled in); the graph and google sections of
 * today's files stay valid, with today's warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONNECTOR_MODULES, connectorModule, unknownConnectorMessage } from '../../connectors/index.js';
import { configJsonSchema } from '../../src/cli/schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { senderProblems } from '../../src/config/verify.js';
import { councilConfigInput } from '../support/council.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function configFile(overrides: Record<string, unknown>): string {
  dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-registry-'));
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, stringify({ ...councilConfigInput, ...overrides }));
  return file;
}

function loadError(overrides: Record<string, unknown>): string {
  try {
    loadConfig(configFile(overrides));
  } catch (err) {
    if (err instanceof ConfigError) return err.format();
    throw err;
  }
  throw new Error('expected the file to be refused');
}

const IMAP = { host: 'mail.millbrook-tc.gov.uk', password: '${WARDWATCH_IMAP_PASSWORD}' };

describe('the connector registry', () => {
  it('lists each module once, by the name of its folder', () => {
    const names = CONNECTOR_MODULES.map((m) => m.name);
    expect([...names].sort()).toEqual(['folder', 'imap']);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(connectorModule(name)?.name).toBe(name);
  });

  it('refuses an unknown connector, listing the available ones', () => {
    expect(unknownConnectorMessage('exchange')).toBe(
      'there is no connector called "exchange": the connectors available are folder and imap (graph and google are not available yet)',
    );
    const text = loadError({ connectors: { folder: { dir: './source' }, exchange: { host: 'outlook.office365.com' } } });
    expect(text).toMatch(/^council\.yaml:\d+ connectors\.exchange: there is no connector called "exchange": the connectors available are folder and imap/m);
  });

  it('refuses an unknown sender connector the same way, and a planned one with today’s words', () => {
    const loaded = loadConfig(configFile({ sender: { kind: 'connector', connector: 'exchange' } }));
    expect(senderProblems(loaded.config, {})).toEqual([{ path: ['sender', 'connector'], message: unknownConnectorMessage('exchange') }]);
    const graph = loadConfig(configFile({ sender: { kind: 'connector', connector: 'graph' } }));
    expect(senderProblems(graph.config, {})[0]?.message).toMatch(/^this installation of Wardwatch has no Microsoft 365 connector, so it could not send any mail/);
  });

  it('checks each section with its module’s own schema, naming the field', () => {
    const folder = loadError({ connectors: { folder: { dir: './source', settleMs: -1, watchEvery: 5 } } });
    expect(folder.split('\n')).toEqual([
      expect.stringMatching(/^council\.yaml:\d+ connectors\.folder\.settleMs: expected at least 0, got -1$/),
      expect.stringMatching(/^council\.yaml:\d+ connectors\.folder\.watchEvery: unknown field "watchEvery" — did you mean "watch"\?$/),
    ]);
    const imap = loadError({ connectors: { imap: { ...IMAP, port: 99999, password: 'hunter2' } } });
    expect(imap).toMatch(/connectors\.imap\.port: /);
    expect(imap).toMatch(/connectors\.imap\.password: expected an environment variable reference/);
    expect(imap).not.toContain('hunter2');
  });

  it('fills in each section’s defaults from its module’s schema', () => {
    const loaded = loadConfig(configFile({ connectors: { folder: { dir: './source' }, imap: IMAP } }));
    expect(loaded.config.connectors['folder']).toEqual({ dir: './source', watch: true, settleMs: 2000 });
    expect(loaded.config.connectors['imap']).toMatchObject({ host: 'mail.millbrook-tc.gov.uk', port: 993, secure: true, backfillDays: 30 });
  });

  it('keeps today’s files valid: graph and google sections are kept as written', () => {
    const loaded = loadConfig(configFile({ connectors: { folder: { dir: './source' }, graph: { tenantId: 'millbrook' }, google: { domain: 'millbrook-tc.gov.uk' } } }));
    expect(loaded.config.connectors['graph']).toEqual({ tenantId: 'millbrook' });
    expect(loaded.config.connectors['google']).toEqual({ domain: 'millbrook-tc.gov.uk' });
  });

  it('describes each section in `wardwatch schema` with its module’s schema', () => {
    expect(configJsonSchema()).toMatchObject({
      properties: {
        connectors: {
          additionalProperties: false,
          properties: {
            folder: { type: 'object', required: ['dir'], properties: { dir: { type: 'string' }, settleMs: { type: 'integer' } } },
            imap: { type: 'object', required: ['host'], properties: { caldav: { type: 'object' } } },
            graph: { type: 'object' },
            google: { type: 'object' },
          },
        },
      },
    });
  });
});
