/** `wardwatch users add|remove|list`: the console's accounts, in the state file, every change audit-logged. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordInputFrom, runUsersAdd, runUsersList, runUsersRemove, type PasswordInput } from '../../src/cli/users.js';
import { verifyPassword } from '../../src/console/passwords.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CLI, makeCouncil, type TestCouncil } from '../service/helpers.js';

const ACTOR = `cli:${userInfo().username}`;
const PASSWORD = 'market square lamp post';

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

/** Standard input as a pipe carrying `text`. */
function piped(text: string): PasswordInput {
  return passwordInputFrom(Readable.from([Buffer.from(text)]));
}

/** A terminal where the person types these answers, one per question. */
function terminal(...answers: string[]): PasswordInput & { questions: string[] } {
  const questions: string[] = [];
  return {
    questions,
    isTerminal: true,
    readLine: () => Promise.reject(new Error('a terminal is asked, not read')),
    askHidden: (question) => {
      questions.push(question);
      return Promise.resolve(answers.shift() ?? '');
    },
  };
}

let council: TestCouncil;
beforeEach(() => {
  council = makeCouncil();
});
afterEach(() => council.remove());

async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(council.storePath);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function addJane(extra: Partial<Parameters<typeof runUsersAdd>[1]> = {}, input: PasswordInput = piped(`${PASSWORD}\n`)): Promise<{ code: number; io: ReturnType<typeof recorder> }> {
  const io = recorder();
  const code = await runUsersAdd('jane', { config: council.configFile, role: 'clerk', name: 'Jane Clerk', passwordStdin: true, ...extra }, { io, passwords: input });
  return { code, io };
}

describe('wardwatch users add', () => {
  it('adds a clerk with the password from standard input, creating the state file before the first run', async () => {
    expect(existsSync(council.storePath)).toBe(false);
    const { code, io } = await addJane({}, piped(`${PASSWORD}\r\nthe second line is not read\n`));
    expect(code, io.stderr).toBe(0);
    expect(io.stdout).toBe('Added the clerk account jane (Jane Clerk), signing in with a password. It may look at everything in the console and act on it.\n');
    expect(existsSync(council.storePath)).toBe(true);
    const user = await withStore((s) => s.getUser('jane'));
    expect(user).toMatchObject({ username: 'jane', displayName: 'Jane Clerk', role: 'clerk' });
    expect(user?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, user?.passwordHash ?? '')).toBe(true);
    expect(await verifyPassword('another password entirely', user?.passwordHash ?? '')).toBe(false);
    const [entry] = await withStore((s) => s.listConsoleActions());
    expect(entry).toMatchObject({ actor: ACTOR, action: 'user-added', subject: 'jane', detail: 'Added the clerk account jane (Jane Clerk), signing in with a password.' });
    expect(JSON.stringify(entry)).not.toContain(PASSWORD);
  });

  it('reads the password from a pipe even when it ends without a line break', async () => {
    const { code } = await addJane({}, piped(PASSWORD));
    expect(code).toBe(0);
    expect(await verifyPassword(PASSWORD, (await withStore((s) => s.getUser('jane')))?.passwordHash ?? '')).toBe(true);
  });

  it('refuses a password shorter than 12 characters, and changes nothing', async () => {
    const { code, io } = await addJane({}, piped('short pass\n'));
    expect(code).toBe(2);
    expect(io.stderr).toBe('The password is too short: it has 10 characters and needs at least 12. A few ordinary words strung together make a good one. Nothing was changed.\n');
    expect(existsSync(council.storePath)).toBe(false);
  });

  it('refuses an empty standard input, saying how to give the password', async () => {
    const { code, io } = await addJane({}, piped(''));
    expect(code).toBe(2);
    expect(io.stderr).toContain('No password came on standard input: give it as the first line');
  });

  it('asks twice on a terminal, without echo, and refuses two different answers', async () => {
    const same = terminal(PASSWORD, PASSWORD);
    const { code } = await addJane({ passwordStdin: false }, same);
    expect(code).toBe(0);
    expect(same.questions).toEqual(['Password for jane (at least 12 characters; not shown): ', 'The same password again: ']);
    expect(await verifyPassword(PASSWORD, (await withStore((s) => s.getUser('jane')))?.passwordHash ?? '')).toBe(true);

    const io = recorder();
    const differ = terminal(PASSWORD, `${PASSWORD}!`);
    expect(await runUsersAdd('priya', { config: council.configFile, role: 'viewer' }, { io, passwords: differ })).toBe(2);
    expect(io.stderr).toBe('The two passwords were not the same. Nothing was changed; run the command again.\n');
    expect(await withStore((s) => s.getUser('priya'))).toBeUndefined();

    const short = terminal('too short');
    const refused = recorder();
    expect(await runUsersAdd('priya', { config: council.configFile, role: 'viewer' }, { io: refused, passwords: short })).toBe(2);
    expect(short.questions).toHaveLength(1);
    expect(refused.stderr).toContain('The password is too short');
  });

  it('refuses to ask when standard input is not a terminal and --password-stdin is not given', async () => {
    const io = recorder();
    expect(await runUsersAdd('jane', { config: council.configFile, role: 'clerk' }, { io, passwords: piped(`${PASSWORD}\n`) })).toBe(2);
    expect(io.stderr).toContain('Standard input is not a terminal, so Wardwatch cannot ask for the password. Give it as the first line of standard input with --password-stdin');
    expect(existsSync(council.storePath)).toBe(false);
  });

  it('refuses an account that exists already unless --replace, which ends its sessions', async () => {
    expect((await addJane()).code).toBe(0);
    await withStore((s) =>
      s.createSession({ idHash: 'a'.repeat(64), username: 'jane', csrfToken: 'c', createdAt: '2027-01-01T00:00:00Z', lastSeenAt: '2027-01-01T00:00:00Z', expiresAt: '2999-01-01T00:00:00Z', absoluteExpiresAt: '2999-01-01T00:00:00Z' }),
    );
    const again = await addJane({ role: 'viewer' });
    expect(again.code).toBe(1);
    expect(again.io.stderr).toContain('There is already an account named jane. Give --replace to replace it');
    expect((await withStore((s) => s.getUser('jane')))?.role).toBe('clerk');

    const replaced = await addJane({ role: 'viewer', replace: true }, piped('a new password for jane\n'));
    expect(replaced.code, replaced.io.stderr).toBe(0);
    expect(replaced.io.stdout).toContain('Replaced the viewer account jane (Jane Clerk), signing in with a password; its earlier sessions have ended.');
    const user = await withStore((s) => s.getUser('jane'));
    expect(user?.role).toBe('viewer');
    expect(await verifyPassword('a new password for jane', user?.passwordHash ?? '')).toBe(true);
    expect(await withStore((s) => s.getSession('a'.repeat(64)))).toBeUndefined();
    expect((await withStore((s) => s.listConsoleActions()))[0]).toMatchObject({ action: 'user-replaced', actor: ACTOR, subject: 'jane' });
  });

  it('adds a single sign-on account by e-mail address, lower-cased, without a password, and says single sign-on is not set up yet', async () => {
    const io = recorder();
    expect(await runUsersAdd('Alice.Green@Millbrook-TC.gov.uk', { config: council.configFile, role: 'viewer', sso: true }, { io, passwords: piped('') })).toBe(0);
    expect(io.stdout).toContain('Added the viewer account alice.green@millbrook-tc.gov.uk (alice.green@millbrook-tc.gov.uk), signing in through single sign-on. It may look at everything in the console, and change nothing.');
    expect(io.stderr).toContain('Single sign-on is not set up in');
    const user = await withStore((s) => s.getUser('alice.green@millbrook-tc.gov.uk'));
    expect(user).toMatchObject({ role: 'viewer' });
    expect(user?.passwordHash).toBeUndefined();
  });

  it('refuses bad usage with exit code 2', async () => {
    const cases: [string, Parameters<typeof runUsersAdd>[1], string][] = [
      ['jane', { config: council.configFile, role: 'admin', passwordStdin: true }, '--role: expected clerk (may act: approve, withdraw, dismiss) or viewer (may only look), got "admin".'],
      ['jane', { config: council.configFile, role: 'clerk', sso: true, passwordStdin: true }, 'give --sso or --password-stdin, not both'],
      ['jane', { config: council.configFile, role: 'clerk', sso: true }, 'is not one.'],
      ['Jane', { config: council.configFile, role: 'clerk', passwordStdin: true }, 'Usernames are written in lower case, so that nobody has to remember how theirs was capitalised: use jane.'],
      ['jane clerk', { config: council.configFile, role: 'clerk', passwordStdin: true }, '"jane clerk" cannot be a username'],
      ['jane', { config: council.configFile, role: 'clerk', passwordStdin: true, name: '  ' }, '--name:'],
      ['jane', { config: `${council.dir}/missing.yaml`, role: 'clerk', passwordStdin: true }, 'missing.yaml'],
    ];
    for (const [username, opts, message] of cases) {
      const io = recorder();
      expect(await runUsersAdd(username, opts, { io, passwords: piped(`${PASSWORD}\n`) }), message).toBe(2);
      expect(io.stderr).toContain(message);
    }
    const samePassword = recorder();
    expect(await runUsersAdd('jane.clerk.2027', { config: council.configFile, role: 'clerk', passwordStdin: true }, { io: samePassword, passwords: piped('jane.clerk.2027\n') })).toBe(2);
    expect(samePassword.stderr).toContain('The password must not be the username.');
    expect(existsSync(council.storePath)).toBe(false);
  });
});

describe('the reserved username', () => {
  it('refuses wardwatch, the name the audit logs give what Wardwatch does by itself, in any case and even with --replace', async () => {
    for (const [username, extra] of [
      ['wardwatch', {}],
      ['Wardwatch', {}],
      ['wardwatch', { replace: true }],
    ] as const) {
      const io = recorder();
      const code = await runUsersAdd(username, { config: council.configFile, role: 'clerk', passwordStdin: true, ...extra }, { io, passwords: piped(`${PASSWORD}\n`) });
      expect(code, username).toBe(2);
      expect(io.stderr).toBe(
        `"${username}" cannot be a username: the console's audit log uses it for what Wardwatch does by itself, so an account of that name could be mistaken for it. Please choose another, such as the person's own name (jane.clerk).\n`,
      );
      expect(io.stdout).toBe('');
    }
    expect(existsSync(council.storePath)).toBe(false);
    // A name that merely contains it is anyone's.
    const io = recorder();
    expect(await runUsersAdd('wardwatch.admin', { config: council.configFile, role: 'viewer', passwordStdin: true }, { io, passwords: piped(`${PASSWORD}\n`) }), io.stderr).toBe(0);
  });
});

describe('wardwatch users remove and list', () => {
  it('lists the accounts, removes one (ending its sessions, audit-logged) and refuses one that is not there', async () => {
    const empty = recorder();
    expect(await runUsersList({ config: council.configFile }, { io: empty })).toBe(0);
    expect(empty.stdout).toBe(`There are no console accounts yet. Add the first with: wardwatch users add USERNAME --config ${council.configFile} --role clerk\n`);
    expect(existsSync(council.storePath)).toBe(false);

    expect((await addJane()).code).toBe(0);
    expect(await runUsersAdd('monitoring.officer@millbrook-tc.gov.uk', { config: council.configFile, role: 'viewer', sso: true, name: 'Monitoring Officer' }, { io: recorder() })).toBe(0);
    const list = recorder();
    expect(await runUsersList({ config: council.configFile }, { io: list })).toBe(0);
    expect(list.stdout.split('\n').map((l) => l.trimEnd())).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^USERNAME +NAME +ROLE +SIGNS IN WITH$/),
        expect.stringMatching(/^jane +Jane Clerk +clerk +password$/),
        expect.stringMatching(/^monitoring\.officer@millbrook-tc\.gov\.uk +Monitoring Officer +viewer +single sign-on$/),
      ]) as unknown,
    );
    expect(list.stdout).not.toContain('scrypt');

    await withStore((s) =>
      s.createSession({ idHash: 'b'.repeat(64), username: 'jane', csrfToken: 'c', createdAt: '2027-01-01T00:00:00Z', lastSeenAt: '2027-01-01T00:00:00Z', expiresAt: '2999-01-01T00:00:00Z', absoluteExpiresAt: '2999-01-01T00:00:00Z' }),
    );
    const removed = recorder();
    expect(await runUsersRemove('jane', { config: council.configFile }, { io: removed })).toBe(0);
    expect(removed.stdout).toBe('Removed the clerk account jane (Jane Clerk); anyone signed in with it has been signed out.\n');
    expect(removed.stderr).toContain('No clerk account is left');
    expect(await withStore((s) => s.getUser('jane'))).toBeUndefined();
    expect(await withStore((s) => s.getSession('b'.repeat(64)))).toBeUndefined();
    expect((await withStore((s) => s.listConsoleActions()))[0]).toMatchObject({ actor: ACTOR, action: 'user-removed', subject: 'jane' });

    const again = recorder();
    expect(await runUsersRemove('jane', { config: council.configFile }, { io: again })).toBe(1);
    expect(again.stderr).toBe(`There is no account named jane (wardwatch users list --config ${council.configFile} shows them).\n`);
  });

  it('has no account to remove before Wardwatch has a state file', async () => {
    const io = recorder();
    expect(await runUsersRemove('jane', { config: council.configFile }, { io })).toBe(1);
    expect(io.stderr).toContain('there is no state file at');
    expect(existsSync(council.storePath)).toBe(false);
  });
});

describe('the built wardwatch users command', () => {
  it('reads the password piped to it, and lists the account', async () => {
    const add = spawnSync(process.execPath, [CLI, 'users', 'add', 'jane', '--config', council.configFile, '--role', 'clerk', '--name', 'Jane Clerk', '--password-stdin'], {
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added the clerk account jane (Jane Clerk)');
    expect(await verifyPassword(PASSWORD, (await withStore((s) => s.getUser('jane')))?.passwordHash ?? '')).toBe(true);
    const list = spawnSync(process.execPath, [CLI, 'users', 'list', '--config', council.configFile], { encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^jane +Jane Clerk +clerk +password$/m);
  });

  it('refuses to wait for a password when standard input is not a terminal', () => {
    const add = spawnSync(process.execPath, [CLI, 'users', 'add', 'jane', '--config', council.configFile, '--role', 'clerk'], { input: '', encoding: 'utf8' });
    expect(add.status).toBe(2);
    expect(add.stderr).toContain('Standard input is not a terminal, so Wardwatch cannot ask for the password. Give it as the first line of standard input with --password-stdin');
    expect(existsSync(council.storePath)).toBe(false);
  });
});
