/**
 * Every example in README.md and docs/ (all folders below it) is true:
 *
 * - a ```yaml block parses, and — being the whole configuration or a part of one — is merged into
 *   a minimal valid configuration (its top-level sections replace the minimal one's) and checked
 *   as every command checks a file: the schema, each rule's options, the sender, each connector's
 *   settings (with every `${VARIABLE}` it names taken as set, and every file it names — a
 *   certificate, a certificate authority, a Google service account key — stood in for by a
 *   throwaway one, as is the key JSON a `connectors.google.key` variable holds) and the Clerk's templates;
 * - a ```json block parses;
 * - each `wardwatch …` (or `npx wardwatch …`) line in a ```sh, ```shell, ```bash or ```console
 *   block, and each `ExecStart=…wardwatch …` line in an ```ini block, is parsed by the command's
 *   own definitions (each src/cli/*.ts module's `register`), so it names a real command with real
 *   options and the right arguments; `npm run NAME` names a script in package.json.
 *
 * A block that is deliberately something else says so on the line before its fence:
 *   <!-- docs-test: not-config -->   YAML that is not a Wardwatch configuration (parsed only)
 *   <!-- docs-test: skip -->         not checked at all (say why in the text around it)
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { commandLoadOptions } from '../src/cli/engine-setup.js';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig } from '../src/config/load.js';
import { plainYamlError } from '../src/config/yaml-errors.js';

const root = path.resolve(import.meta.dirname, '..');

interface Block {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string;
  /** The docs-test marker before the fence, if any. */
  marker?: 'not-config' | 'skip';
}

function markdownFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*docs-test:\s*(not-config|skip)\s*-->$/;

function blocksOf(file: string): Block[] {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence[0]?.repeat(fence.length) ?? fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.slice(Math.min(open[1]?.length ?? 0, line.length - line.trimStart().length)));
    }
    let k = i - 1;
    while (k >= 0 && (lines[k] ?? '').trim() === '') k--;
    const marker = MARKER.exec((lines[k] ?? '').trim())?.[1] as Block['marker'];
    blocks.push({ file, line: i + 1, lang: (open[3] ?? '').toLowerCase(), body: body.join('\n'), ...(marker !== undefined ? { marker } : {}) });
    i = j;
  }
  return blocks;
}

const ALL_BLOCKS = markdownFiles().flatMap(blocksOf);
const where = (b: Block): string => `${b.file}:${b.line} (\`\`\`${b.lang} block)`;

/* ---------------------------------------------------------------------------------------- */
/* YAML                                                                                       */
/* ---------------------------------------------------------------------------------------- */

/** What a fragment is merged into: the smallest configuration Wardwatch accepts. */
const MINIMAL = {
  council: { name: 'Millbrook Town Council', domains: ['millbrook-tc.gov.uk'], serviceAddress: 'protocol@millbrook-tc.gov.uk' },
  protocol: 'knutsford',
  people: [{ name: 'Helen Ashworth', emails: ['clerk@millbrook-tc.gov.uk'], role: 'clerk' }],
};

/** A private key (a real one) for the stand-ins below. */
const STAND_IN_PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trimEnd();

/**
 * A Google service account key as Google Cloud console gives it, with what the Google connector
 * checks in it (the type, client_email, a PEM private_key); it is never used to sign in.
 */
const STAND_IN_GOOGLE_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'docs-example',
  private_key_id: '0000000000000000000000000000000000000000',
  private_key: `${STAND_IN_PRIVATE_KEY}\n`,
  client_email: 'wardwatch@docs-example.iam.gserviceaccount.com',
  client_id: '100000000000000000000',
  token_uri: 'https://oauth2.googleapis.com/token',
});

/** The variable a `connectors.google.key` reference is pointed at in the copy that is checked: it holds the stand-in key JSON. */
const STAND_IN_GOOGLE_KEY_VARIABLE = 'DOCS_EXAMPLE_GOOGLE_KEY';

/**
 * Every variable an example names is taken as set: the examples cannot know a council's secrets.
 * Only the stand-in for a Google key variable holds a key (the others hold a password-like text).
 */
const anyVariableSet = new Proxy<Record<string, string>>(
  {},
  { get: (_t, name) => (name === STAND_IN_GOOGLE_KEY_VARIABLE ? STAND_IN_GOOGLE_KEY : typeof name === 'string' ? 'docs-example-secret' : undefined) },
);

/**
 * The connector settings that name a file on the council's machine: the Microsoft 365 app's
 * certificate (`certificatePath`), a certificate authority to trust (`caFile`, in any `tls`) and
 * the Google service account's key file (`keyFile`).
 */
const FILE_SETTINGS = new Set(['certificatePath', 'caFile', 'keyFile']);

/**
 * A stand-in for a PEM file, with what the connectors check in it: a private key and a certificate
 * block. Node cannot make an X.509 certificate and the connectors' checks look only for the PEM
 * markers, so the certificate's body is a placeholder.
 */
const STAND_IN_PEM = `${STAND_IN_PRIVATE_KEY}\n-----BEGIN CERTIFICATE-----\nZG9jcy1leGFtcGxlIHN0YW5kLWluLCBub3QgYSBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n`;

/**
 * The files an example names (/etc/wardwatch/wardwatch-graph.pem …) are no more here than its
 * secrets are set: in the copy that is checked, each file setting under `connectors` points at a throwaway
 * file in `dir` instead, so that every other setting is still checked as written. A `${…}`
 * reference in `connectors.google.key` names the variable holding the stand-in key JSON instead
 * (a reference written wrongly is left as it is, to be refused).
 */
function standInFiles(value: unknown, dir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => standInFiles(v, dir));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      if (!FILE_SETTINGS.has(key) || typeof v !== 'string') return [key, standInFiles(v, dir)];
      const json = key === 'keyFile';
      const file = path.join(dir, `stand-in-${key}.${json ? 'json' : 'pem'}`);
      writeFileSync(file, json ? STAND_IN_GOOGLE_KEY : STAND_IN_PEM, { mode: 0o600 });
      return [key, file];
    }),
  );
}

function standInGoogleKey(connectors: unknown): unknown {
  if (connectors === null || typeof connectors !== 'object' || !('google' in connectors)) return connectors;
  const google = connectors.google;
  if (google === null || typeof google !== 'object' || !('key' in google) || typeof google.key !== 'string' || !/^\$\{[A-Z_][A-Z0-9_]*\}$/.test(google.key.trim())) return connectors;
  return { ...connectors, google: { ...google, key: `\${${STAND_IN_GOOGLE_KEY_VARIABLE}}` } };
}

function yamlProblems(block: Block): string[] {
  const doc = parseDocument(block.body, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const plain = plainYamlError(block.body, doc.errors);
    return [`${where(block)}, line ${plain.line} of the block: the YAML does not parse: ${plain.message}`];
  }
  if (block.marker === 'not-config') return [];
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return [`${where(block)}: expected a configuration or a part of one (top-level fields); mark other YAML with <!-- docs-test: not-config -->`];
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-docs-'));
  const merged: Record<string, unknown> = { ...MINIMAL, ...(data as Record<string, unknown>) };
  if ('connectors' in merged) merged['connectors'] = standInGoogleKey(standInFiles(merged['connectors'], dir));
  const templates = merged['templates'];
  if (templates !== null && typeof templates === 'object' && 'dir' in templates && typeof templates.dir === 'string') {
    mkdirSync(path.resolve(dir, templates.dir), { recursive: true });
  }
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, stringify(merged));
  try {
    loadConfig(file, commandLoadOptions(anyVariableSet));
    return [];
  } catch (err) {
    if (err instanceof ConfigError) {
      return [
        `${where(block)}: the example is not a valid configuration (its top-level fields replace those of a minimal one; ` +
          `mark YAML that is not configuration with <!-- docs-test: not-config -->):\n    ${err.problems.map((p) => `${p.path !== '' ? `${p.path}: ` : ''}${p.message}`).join('\n    ')}`,
      ];
    }
    throw err;
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Commands                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** The command's definition, from each src/cli/*.ts module that src/cli.ts registers; the actions do nothing. */
async function wardwatchProgram(): Promise<Command> {
  const program = new Command('wardwatch').version('0.0.0-docs');
  const cliSource = readFileSync(path.join(root, 'src/cli.ts'), 'utf8');
  const modules = readdirSync(path.join(root, 'src/cli')).filter((f) => f.endsWith('.ts')).sort();
  for (const name of modules) {
    if (!cliSource.includes(`./cli/${name.replace(/\.ts$/, '.js')}`)) continue;
    const mod: unknown = await import(pathToFileURL(path.join(root, 'src/cli', name)).href);
    if (mod !== null && typeof mod === 'object' && 'register' in mod && typeof mod.register === 'function') {
      (mod.register as (p: Command) => void)(program);
    }
  }
  const quiet = (command: Command): void => {
    command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    if (command.commands.length === 0) command.action(() => undefined);
    for (const sub of command.commands) quiet(sub);
  };
  quiet(program);
  return program;
}

/** Words of one shell command, quotes removed (enough for documentation examples). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * A line without its prompt and trailing comment, split into commands at &&, ||, ; and | outside
 * quotes (an outbox key, quoted, holds semicolons).
 */
function commandsOf(line: string): string[][] {
  const text = line.replace(/^\s*\$\s+/, '');
  const parts: string[] = [];
  let part = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      part += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      part += ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      break;
    } else if (ch === ';' || ch === '|' || (ch === '&' && text[i + 1] === '&')) {
      parts.push(part);
      part = '';
      if (text[i + 1] === ch) i++;
    } else {
      part += ch;
    }
  }
  parts.push(part);
  return parts.map((p) => shellWords(p.trim())).filter((words) => words.length > 0);
}

const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

async function commandProblems(block: Block, program: Command): Promise<{ problems: string[]; checked: number }> {
  const problems: string[] = [];
  let checked = 0;
  const lines = block.body.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] ?? '';
    if (block.lang === 'ini') {
      const exec = /^ExecStart=(.*)$/.exec(line.trim());
      if (!exec) continue;
      line = exec[1] ?? '';
    }
    for (const words of commandsOf(line)) {
      while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) words.shift();
      if (words[0] === 'npx') words.shift();
      const at = `${block.file}:${block.line + 1 + n}`;
      if (words[0] === 'npm' && words[1] === 'run') {
        checked += 1;
        if (!scripts.includes(words[2] ?? '')) problems.push(`${at}: "npm run ${words[2] ?? ''}" names no script in package.json (${scripts.join(', ')})`);
        continue;
      }
      const first = words[0] ?? '';
      if (first !== 'wardwatch' && !first.endsWith('/wardwatch')) continue;
      checked += 1;
      try {
        await program.parseAsync(words.slice(1), { from: 'user' });
      } catch (err) {
        if (err instanceof CommanderError && err.exitCode === 0) continue;
        problems.push(`${at}: "${words.join(' ')}" is not a command wardwatch accepts: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return { problems, checked };
}

const COMMAND_LANGS = ['sh', 'shell', 'bash', 'console', 'ini'];

describe('the examples in README.md and docs/', () => {
  it('finds the examples (the extraction itself works)', () => {
    expect(ALL_BLOCKS.filter((b) => b.lang === 'yaml').length).toBeGreaterThanOrEqual(3);
    expect(ALL_BLOCKS.filter((b) => COMMAND_LANGS.includes(b.lang)).length).toBeGreaterThanOrEqual(5);
    expect(ALL_BLOCKS.some((b) => b.file === path.join('docs', 'connecting-imap.md') && b.lang === 'yaml')).toBe(true);
    expect(ALL_BLOCKS.filter((b) => b.file === path.join('docs', 'connecting-microsoft-365.md') && b.lang === 'yaml' && b.marker === undefined).length).toBeGreaterThanOrEqual(3);
  });

  it('every YAML example parses and, merged into a minimal configuration, is valid', () => {
    const problems = ALL_BLOCKS.filter((b) => (b.lang === 'yaml' || b.lang === 'yml') && b.marker !== 'skip').flatMap(yamlProblems);
    expect(problems).toEqual([]);
  });

  it('every JSON example parses', () => {
    const problems = ALL_BLOCKS.filter((b) => b.lang === 'json' && b.marker !== 'skip').flatMap((b) => {
      try {
        JSON.parse(b.body);
        return [];
      } catch (err) {
        return [`${where(b)}: the JSON does not parse: ${err instanceof Error ? err.message : String(err)}`];
      }
    });
    expect(problems).toEqual([]);
  });

  it('every command example names a real wardwatch command with real options, or a real npm script', async () => {
    const program = await wardwatchProgram();
    let checked = 0;
    const problems: string[] = [];
    for (const block of ALL_BLOCKS.filter((b) => COMMAND_LANGS.includes(b.lang) && b.marker !== 'skip')) {
      const result = await commandProblems(block, program);
      checked += result.checked;
      problems.push(...result.problems);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('the command check catches a wrong command, a wrong option and a missing argument', async () => {
    const program = await wardwatchProgram();
    const block: Block = {
      file: 'example.md',
      line: 1,
      lang: 'sh',
      body: ['wardwatch vaildate --config council.yaml', 'wardwatch check --config council.yaml --sorce ./saved-mail', 'wardwatch templates preview', 'npm run nonsense', 'wardwatch validate --config council.yaml'].join('\n'),
    };
    const { problems, checked } = await commandProblems(block, program);
    expect(checked).toBe(5);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain("unknown command 'vaildate'");
    expect(problems[1]).toContain("unknown option '--sorce'");
    expect(problems[2]).toContain("missing required argument 'name'");
    expect(problems[3]).toContain('"npm run nonsense" names no script');
  });

  it('the YAML check catches a bad rule option and an unquoted ${…} in braces', () => {
    const bad = (body: string): string[] => yamlProblems({ file: 'example.md', line: 1, lang: 'yaml', body });
    expect(bad('rules:\n  requests-via-clerk:\n    options:\n      directContacts: deputy\n')[0]).toContain('rules["requests-via-clerk"].options.directContacts');
    expect(bad('sender: { kind: smtp, host: h.example.net, user: me, password: ${X} }\n')[0]).toContain('a ${…} reference must be in quotes');
  });

  it('a file an example names is stood in for, and the rest of its settings are still checked', () => {
    const check = (body: string): string[] => yamlProblems({ file: 'example.md', line: 1, lang: 'yaml', body });
    const graph = (extra: string): string =>
      'connectors:\n  graph:\n    tenantId: 8c1f6a2e-4b7d-4e0a-9f3c-2d5e6b7a8c91\n    clientId: 6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10\n' +
      '    certificatePath: /etc/wardwatch/no-such-file.pem\n    tls: { caFile: ./nor-this.pem }\n' + extra;
    expect(check(graph(''))).toEqual([]);
    expect(check(graph('    mailboxes: [nobody@millbrook-tc.gov.uk]\n'))[0]).toContain('connectors.graph.mailboxes names nobody@millbrook-tc.gov.uk');
    expect(check(graph('    clientSecret: ${WARDWATCH_GRAPH_CLIENT_SECRET}\n'))[0]).toContain('both certificatePath and clientSecret');
  });

  it('a Google key file, or a variable holding the key, is stood in for, and the rest of the settings are still checked', () => {
    const check = (body: string): string[] => yamlProblems({ file: 'example.md', line: 1, lang: 'yaml', body });
    const google = (key: string, extra = ''): string => `connectors:\n  google:\n    ${key}\n${extra}`;
    expect(check(google('keyFile: /etc/wardwatch/no-such-key.json'))).toEqual([]);
    expect(check(google('key: ${WARDWATCH_GOOGLE_KEY}'))).toEqual([]);
    expect(check(google('key: ${WARDWATCH_GOOGLE_KEY}', '    mailboxes: [nobody@millbrook-tc.gov.uk]\n'))[0]).toContain('connectors.google.mailboxes names nobody@millbrook-tc.gov.uk');
    expect(check(google('keyFile: ./google-key.json', '    key: ${WARDWATCH_GOOGLE_KEY}\n'))[0]).toContain('both keyFile and key');
    expect(check(google('key: the-key-itself'))[0]).toContain('connectors.google.key');
  });
});
