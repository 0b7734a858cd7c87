/**
 * `wardwatch users …`: the console's accounts.
 * - `users add USERNAME --config FILE --role clerk|viewer [--name NAME] [--sso] [--password-stdin] [--replace]`:
 *   an account signing in with a password (read from standard input with --password-stdin, its
 *   first line; otherwise asked for twice, without echo, on a terminal), or with --sso one that
 *   signs in only through the council's single sign-on, named by its e-mail address. The username
 *   `wardwatch` is reserved: the audit logs use it for what Wardwatch does by itself.
 * - `users remove USERNAME --config FILE`: the account goes, and every session it had ends.
 * - `users list --config FILE`: each account's username, name, role and how it signs in.
 *
 * The accounts live in the state file, which `users add` creates when Wardwatch has not run yet,
 * so that the Clerk can make the first account before the first start. Every change is written to
 * the console's audit log, by `cli:<the operating-system user>`.
 *
 * Exit codes: 0 done; 1 the account named could not be added or removed (it exists already, or
 * there is none); 2 bad usage, a refused password, an invalid configuration or an unreadable state file.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../console/passwords.js';
import { errorMessage } from '../model/error-message.js';
import { AUTOMATIC_ACTOR } from '../review/settle.js';
import { openStore } from '../store/open.js';
import { CONSOLE_ROLES, type ConsoleRole, type ConsoleUser, type Store } from '../store/types.js';
import { ruleOptionSchemas } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = 2;
const NOT_CHANGED = 1;

/** Who is at the command line, as the audit logs name them: `cli:<operating-system user>`. */
export function cliActor(): string {
  try {
    const name = userInfo().username;
    if (name !== '') return `cli:${name}`;
  } catch {
    // No entry for this user id in the system's user list (a container run with an arbitrary uid).
  }
  return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
}

/** How a command reads a password: standard input's first line, or asking on the terminal. */
export interface PasswordInput {
  /** The first line of standard input (without its line ending); undefined when there was none. */
  readLine(): Promise<string | undefined>;
  /** Whether standard input is a terminal a person can type at. */
  isTerminal: boolean;
  /** Ask on the terminal without showing what is typed. */
  askHidden(question: string): Promise<string>;
}

/** Passwords longer than this are refused: nobody types one, and it would only cost hashing time. */
const MAX_PASSWORD_LENGTH = 1024;

async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  // A character may be split between chunks: the decoder keeps its first bytes for the next one.
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk));
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end).replace(/\r$/, '');
    // Long enough to be refused; no need to read the rest.
    if (text.length > MAX_PASSWORD_LENGTH * 4) return text;
  }
  text += decoder.end();
  return text === '' ? undefined : text.replace(/\r$/, '');
}

/** Ctrl-C while a password is asked for: nothing is changed. */
class Cancelled extends Error {}

async function askWithoutEcho(input: NodeJS.ReadableStream, question: string): Promise<string> {
  let muted = false;
  // readline echoes what is typed to its output: a terminal that drops everything once the question is out.
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output, terminal: true });
  const cancel = new AbortController();
  // In raw mode Ctrl-C reaches readline, not the process: without this the question would wait on.
  rl.on('SIGINT', () => cancel.abort());
  try {
    const answer = rl.question(question, { signal: cancel.signal });
    muted = true;
    return await answer;
  } catch (err) {
    if (cancel.signal.aborted) throw new Cancelled('cancelled');
    throw err;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** Passwords from a stream (standard input): its first line, or asked for on it when it is a terminal. */
export function passwordInputFrom(stream: NodeJS.ReadableStream & { isTTY?: boolean }): PasswordInput {
  return {
    readLine: () => firstLineOf(stream),
    isTerminal: stream.isTTY === true,
    askHidden: (question) => askWithoutEcho(stream, question),
  };
}

export interface UsersDeps {
  io?: CommandIO;
  passwords?: PasswordInput;
  /** Who the audit log names; `cliActor()` by default. */
  actor?: string;
  clock?: () => Date;
}

interface Opened {
  loaded: LoadedConfig;
  file: string;
}

/** The configuration (its schema and rule options checked) and where its state file is; exit code 2 after saying what is wrong. */
function readConfig(configFile: string, io: CommandIO): Opened | number {
  try {
    const loaded = loadConfig(configFile, { ruleOptionSchemas: ruleOptionSchemas() });
    return { loaded, file: path.resolve(loaded.dir, loaded.config.store.path) };
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return USAGE;
    }
    throw err;
  }
}

function openOrExit(file: string, io: CommandIO): Store | number {
  try {
    return openStore(file);
  } catch (err) {
    io.err(`Wardwatch cannot open its state file ${file}: ${errorMessage(err)}\n`);
    return USAGE;
  }
}

function isRole(value: string): value is ConsoleRole {
  return (CONSOLE_ROLES as readonly string[]).includes(value);
}

const LOCAL_USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** Why the username cannot be used (undefined when it can), for a password account or a single sign-on one. */
function usernameProblem(username: string, sso: boolean): string | undefined {
  // The audit logs name Wardwatch itself by this name (what it does on its own, such as settling a
  // finding a standing exception covers): an account of that name would blur who did what.
  if (username.toLowerCase() === AUTOMATIC_ACTOR) {
    return `"${username}" cannot be a username: the console's audit log uses it for what Wardwatch does by itself, so an account of that name could be mistaken for it. Please choose another, such as the person's own name (jane.clerk).`;
  }
  if (sso) {
    if (username.length > 254 || !EMAIL.test(username)) {
      return `An account for single sign-on is named by the e-mail address the council's accounts give, such as jane.clerk@example-tc.gov.uk; "${username}" is not one.`;
    }
    return undefined;
  }
  if (LOCAL_USERNAME.test(username)) return undefined;
  if (LOCAL_USERNAME.test(username.toLowerCase())) {
    return `Usernames are written in lower case, so that nobody has to remember how theirs was capitalised: use ${username.toLowerCase()}.`;
  }
  return `"${username}" cannot be a username: use up to 64 lower-case letters, digits, dots, hyphens and underscores, starting with a letter or digit (such as jane.clerk).`;
}

function passwordProblem(password: string, username: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `The password is too short: it has ${length} character${length === 1 ? '' : 's'} and needs at least ${MIN_PASSWORD_LENGTH}. A few ordinary words strung together make a good one.`;
  }
  if (length > MAX_PASSWORD_LENGTH) return `The password is too long: use at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password.trim().toLowerCase() === username.toLowerCase()) return 'The password must not be the username.';
  return undefined;
}

/** The password for a new account, or an error message. */
async function readPassword(opts: AddOptions, username: string, input: PasswordInput): Promise<{ password: string } | { error: string }> {
  let password: string;
  if (opts.passwordStdin === true) {
    const line = await input.readLine();
    if (line === undefined || line === '') {
      return { error: 'No password came on standard input: give it as the first line, such as: printf "%s\\n" "$PASSWORD" | wardwatch users add … --password-stdin' };
    }
    password = line;
  } else if (input.isTerminal) {
    try {
      password = await input.askHidden(`Password for ${username} (at least ${MIN_PASSWORD_LENGTH} characters; not shown): `);
      const problem = passwordProblem(password, username);
      if (problem !== undefined) return { error: `${problem} Nothing was changed; run the command again.` };
      const again = await input.askHidden('The same password again: ');
      if (again !== password) return { error: 'The two passwords were not the same. Nothing was changed; run the command again.' };
    } catch (err) {
      if (err instanceof Cancelled) return { error: 'Cancelled: no account was added or changed.' };
      throw err;
    }
  } else {
    return {
      error:
        'Standard input is not a terminal, so Wardwatch cannot ask for the password. Give it as the first line of standard input with --password-stdin ' +
        '(printf "%s\\n" "$PASSWORD" | wardwatch users add … --password-stdin), or --sso for an account that signs in through single sign-on.',
    };
  }
  const problem = passwordProblem(password, username);
  return problem !== undefined ? { error: `${problem} Nothing was changed.` } : { password };
}

export interface AddOptions {
  config: string;
  role: string;
  name?: string;
  sso?: boolean;
  passwordStdin?: boolean;
  replace?: boolean;
}

function signsInWith(user: Pick<ConsoleUser, 'passwordHash'>): string {
  return user.passwordHash !== undefined ? 'password' : 'single sign-on';
}

/** "signing in with a password", "signing in through single sign-on". */
function signingIn(user: Pick<ConsoleUser, 'passwordHash'>): string {
  return user.passwordHash !== undefined ? 'signing in with a password' : 'signing in through single sign-on';
}

/** Add (or with --replace, replace) a console account; returns the exit code. */
export async function runUsersAdd(rawUsername: string, opts: AddOptions, deps: UsersDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const sso = opts.sso === true;
  if (!isRole(opts.role)) {
    io.err(`--role: expected clerk (may act: approve, withdraw, dismiss) or viewer (may only look), got "${opts.role}".\n`);
    return USAGE;
  }
  if (sso && opts.passwordStdin === true) {
    io.err('An account for single sign-on has no password: give --sso or --password-stdin, not both.\n');
    return USAGE;
  }
  // Single sign-on names people by their e-mail address, compared in lower case.
  const username = sso ? rawUsername.trim().toLowerCase() : rawUsername;
  const usernameIssue = usernameProblem(username, sso);
  if (usernameIssue !== undefined) {
    io.err(`${usernameIssue}\n`);
    return USAGE;
  }
  const displayName = (opts.name ?? username).trim();
  if (displayName === '' || displayName.length > 200) {
    io.err('--name: give the person\'s name as the console should show it, such as --name "Jane Clerk" (at most 200 characters).\n');
    return USAGE;
  }
  const config = readConfig(opts.config, io);
  if (typeof config === 'number') return config;

  // Refuse an existing account before asking for a password nobody will use.
  if (opts.replace !== true && existsSync(config.file)) {
    const store = openOrExit(config.file, io);
    if (typeof store === 'number') return store;
    try {
      if ((await store.getUser(username)) !== undefined) {
        io.err(
          `There is already an account named ${username}. Give --replace to replace it (its name, role and how it signs in; its sessions end), ` +
            `or choose another username.\n`,
        );
        return NOT_CHANGED;
      }
    } finally {
      await store.close();
    }
  }

  let passwordHash: string | undefined;
  if (!sso) {
    const read = await readPassword(opts, username, deps.passwords ?? passwordInputFrom(process.stdin));
    if ('error' in read) {
      io.err(`${read.error}\n`);
      return USAGE;
    }
    passwordHash = await hashPassword(read.password);
  }

  const store = openOrExit(config.file, io);
  if (typeof store === 'number') return store;
  const actor = deps.actor ?? cliActor();
  const now = (deps.clock?.() ?? new Date()).toISOString();
  const user: ConsoleUser = { username, displayName, role: opts.role, createdAt: now, ...(passwordHash !== undefined ? { passwordHash } : {}) };
  try {
    const outcome = await store.transaction(async (tx) => {
      const existing = await tx.getUser(username);
      if (existing !== undefined && opts.replace !== true) return 'exists' as const;
      // Removing first ends the sessions of the account replaced: a new role or password applies at once.
      if (existing !== undefined) await tx.removeUser(username);
      await tx.putUser(user);
      await tx.recordConsoleAction({
        at: now,
        actor,
        action: existing !== undefined ? 'user-replaced' : 'user-added',
        subject: username,
        detail: `${existing !== undefined ? 'Replaced' : 'Added'} the ${opts.role} account ${username} (${displayName}), ${signingIn(user)}.`,
      });
      return existing !== undefined ? ('replaced' as const) : ('added' as const);
    });
    if (outcome === 'exists') {
      io.err(`There is already an account named ${username}. Give --replace to replace it, or choose another username.\n`);
      return NOT_CHANGED;
    }
    const verb = outcome === 'replaced' ? 'Replaced' : 'Added';
    io.out(
      `${verb} the ${opts.role} account ${username} (${displayName}), ${signingIn(user)}` +
        `${outcome === 'replaced' ? '; its earlier sessions have ended' : ''}. ` +
        `${opts.role === 'clerk' ? 'It may look at everything in the console and act on it.' : 'It may look at everything in the console, and change nothing.'}\n`,
    );
    if (sso && config.loaded.config.console.oidc === undefined) {
      io.err(
        `Single sign-on is not set up in ${opts.config} yet (console.oidc), so ${username} cannot sign in until it is; see docs/console.md.\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

export interface UsersOptions {
  config: string;
}

/** Remove a console account and end its sessions; returns the exit code. */
export async function runUsersRemove(username: string, opts: UsersOptions, deps: UsersDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const config = readConfig(opts.config, io);
  if (typeof config === 'number') return config;
  const listHint = `wardwatch users list --config ${opts.config} shows them`;
  if (!existsSync(config.file)) {
    io.err(`There is no account named ${username}: there is no state file at ${config.file} yet, so there are no accounts.\n`);
    return NOT_CHANGED;
  }
  const store = openOrExit(config.file, io);
  if (typeof store === 'number') return store;
  const actor = deps.actor ?? cliActor();
  const now = (deps.clock?.() ?? new Date()).toISOString();
  try {
    const removed = await store.transaction(async (tx) => {
      const existing = await tx.getUser(username);
      if (existing === undefined || !(await tx.removeUser(username))) return undefined;
      await tx.recordConsoleAction({
        at: now,
        actor,
        action: 'user-removed',
        subject: username,
        detail: `Removed the ${existing.role} account ${username} (${existing.displayName}); its sessions ended.`,
      });
      return { removed: existing, clerksLeft: (await tx.listUsers()).filter((u) => u.role === 'clerk').length };
    });
    if (removed === undefined) {
      io.err(`There is no account named ${username} (${listHint}).\n`);
      return NOT_CHANGED;
    }
    io.out(`Removed the ${removed.removed.role} account ${username} (${removed.removed.displayName}); anyone signed in with it has been signed out.\n`);
    if (removed.clerksLeft === 0) {
      io.err(`No clerk account is left: nobody can act in the console until one is added with: wardwatch users add USERNAME --config ${opts.config} --role clerk\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** List the console's accounts; returns the exit code. */
export async function runUsersList(opts: UsersOptions, deps: UsersDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const config = readConfig(opts.config, io);
  if (typeof config === 'number') return config;
  const none = `There are no console accounts yet. Add the first with: wardwatch users add USERNAME --config ${opts.config} --role clerk\n`;
  if (!existsSync(config.file)) {
    io.out(none);
    return 0;
  }
  const store = openOrExit(config.file, io);
  if (typeof store === 'number') return store;
  try {
    const users = await store.listUsers();
    if (users.length === 0) {
      io.out(none);
      return 0;
    }
    const rows = [['USERNAME', 'NAME', 'ROLE', 'SIGNS IN WITH'], ...users.map((u) => [u.username, u.displayName, u.role, signsInWith(u)])];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const row of rows) io.out(`${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const users = program.command('users').description("the console's accounts: add, remove and list who may sign in");
  users
    .command('add')
    .description('add an account to the console, signing in with a password or through single sign-on')
    .argument('<username>', 'the sign-in name (lower case), or with --sso the e-mail address the council gives the person')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .requiredOption('--role <role>', 'clerk (may act) or viewer (may only look, such as a monitoring officer)')
    .option('--name <name>', 'the person\'s name as the console shows it, such as "Jane Clerk" (default: the username)')
    .option('--sso', 'no password: the person signs in only through the council\'s single sign-on (console.oidc)')
    .option('--password-stdin', 'read the password from the first line of standard input instead of asking for it')
    .option('--replace', 'replace an account of that name (its sessions end)')
    .action(async (username: string, options: AddOptions) => {
      process.exitCode = await runUsersAdd(username, options);
    });
  users
    .command('remove')
    .description('remove an account; anyone signed in with it is signed out')
    .argument('<username>', 'the account to remove (wardwatch users list shows them)')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .action(async (username: string, options: UsersOptions) => {
      process.exitCode = await runUsersRemove(username, options);
    });
  users
    .command('list')
    .description('list the accounts: username, name, role and how each signs in')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .action(async (options: UsersOptions) => {
      process.exitCode = await runUsersList(options);
    });
}
