/**
 * The connector registry: the one list of connectors. An unknown name under `connectors:` (or as
 * the sender's connector) is refused with the names available; each registered module's own
 * schema checks its section when the file is loaded (defaults filled in), graph and google
 * included.
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
const GRAPH = { tenantId: 'millbrook.onmicrosoft.com', clientId: '6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10', certificatePath: '/etc/wardwatch/graph-app.pem' };
const GOOGLE = { keyFile: '/etc/wardwatch/google-service-account.json' };

describe('the connector registry', () => {
  it('lists each module once, by the name of its folder', () => {
    const names = CONNECTOR_MODULES.map((m) => m.name);
    expect([...names].sort()).toEqual(['folder', 'google', 'graph', 'imap']);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(connectorModule(name)?.name).toBe(name);
  });

  it('refuses an unknown connector, listing the available ones', () => {
    expect(unknownConnectorMessage('exchange')).toBe('there is no connector called "exchange": the connectors available are folder, google, graph and imap');
    const text = loadError({ connectors: { folder: { dir: './source' }, exchange: { host: 'outlook.office365.com' } } });
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^council\.yaml:\d+ connectors\.exchange: there is no connector called "exchange": the connectors available are folder, google, graph and imap$/),
    ]);
  });

  it('refuses an unknown sender connector the same way, and a registered one only when its section is missing', () => {
    const loaded = loadConfig(configFile({ sender: { kind: 'connector', connector: 'exchange' } }));
    expect(senderProblems(loaded.config, {})).toEqual([{ path: ['sender', 'connector'], message: unknownConnectorMessage('exchange') }]);
    for (const name of ['graph', 'google']) {
      const unconfigured = loadConfig(configFile({ sender: { kind: 'connector', connector: name } }));
      expect(senderProblems(unconfigured.config, {})).toEqual([
        {
          path: ['sender', 'connector'],
          message: `mail is to be sent through the ${name} connector, but connectors.${name} is not configured; please configure it, or choose sender.kind "file" or "smtp"`,
        },
      ]);
    }
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
    const graph = loadError({ connectors: { graph: { tenantId: 'millbrook.onmicrosoft.com' } } });
    expect(graph.split('\n')).toEqual([expect.stringMatching(/^council\.yaml:\d+ connectors\.graph\.clientId: missing/)]);
    const google = loadError({ connectors: { google: { ...GOOGLE, pageSize: 501 } } });
    expect(google.split('\n')).toEqual([expect.stringMatching(/^council\.yaml:\d+ connectors\.google\.pageSize: expected at most 500, got 501$/)]);
  });

  it('fills in each section’s defaults from its module’s schema', () => {
    const loaded = loadConfig(configFile({ connectors: { folder: { dir: './source' }, imap: IMAP, graph: GRAPH, google: GOOGLE } }));
    expect(loaded.config.connectors['folder']).toEqual({ dir: './source', watch: true, settleMs: 2000 });
    expect(loaded.config.connectors['imap']).toMatchObject({ host: 'mail.millbrook-tc.gov.uk', port: 993, secure: true, backfillDays: 30 });
    expect(loaded.config.connectors['graph']).toMatchObject({ ...GRAPH, calendars: {}, pollSeconds: 60, pageSize: 100, backfillDays: 30 });
    expect(loaded.config.connectors['google']).toMatchObject({ ...GOOGLE, calendars: {}, pollSeconds: 30, pageSize: 100, backfillDays: 30 });
  });

  it('refuses a graph or google section its module does not accept, rather than keeping it as written', () => {
    const text = loadError({ connectors: { folder: { dir: './source' }, graph: { tenantId: 'millbrook' }, google: { domain: 'millbrook-tc.gov.uk' } } });
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^council\.yaml:\d+ connectors\.graph\.clientId: missing/),
      expect.stringMatching(/^council\.yaml:\d+ connectors\.google\.domain: unknown field "domain" — expected one of keyFile, key, /),
    ]);
    expect(text).not.toMatch(/not available yet|has no .* connector/);
  });

  it('describes each section in `wardwatch schema` with its module’s schema', () => {
    const described = (configJsonSchema() as { properties: { connectors: { properties: Record<string, { description?: string }> } } }).properties.connectors.properties;
    expect(Object.keys(described).sort()).toEqual(['folder', 'google', 'graph', 'imap']);
    for (const m of CONNECTOR_MODULES) expect(described[m.name]?.description).toBe(`The ${m.title} connector.`);
    expect(configJsonSchema()).toMatchObject({
      properties: {
        connectors: {
          additionalProperties: false,
          properties: {
            folder: { type: 'object', required: ['dir'], properties: { dir: { type: 'string' }, settleMs: { type: 'integer' } } },
            imap: { type: 'object', required: ['host'], properties: { caldav: { type: 'object' } } },
            graph: { type: 'object', required: ['tenantId', 'clientId'], properties: { certificatePath: { type: 'string' }, notifications: { type: 'object' } } },
            google: { type: 'object', properties: { keyFile: { type: 'string' }, calendars: { type: 'object' } } },
          },
        },
      },
    });
  });
});
