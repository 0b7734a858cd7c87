/**
 * `wardwatch digest --config FILE [--date YYYY-MM-DD] [--preview] [--html FILE]`
 *
 * - With --preview: prints the digest's subject and plain-text part (the HTML part is written
 *   to --html FILE when given) and sends and records nothing.
 * - Without: sends the digest for the date (today, in the council's timezone, by default)
 *   through the configured sender and records it, unless that date's digest was already sent:
 *   there is one digest a day, whoever sends it (this command or the running service).
 *
 * Exit 0: done (or nothing to do); 1: the digest could not be sent; 2: bad usage or invalid config.
 */
import { errorMessage } from '../model/error-message.js';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createSender } from '../actions/senders.js';
import type { MailSender } from '../sources/types.js';
import { buildDigest, type DigestPeriod } from '../digest/build.js';
import { digestDateOf } from '../digest/scheduler.js';
import { composeDigest, deliverDigest, settleDigestAttempt } from '../digest/send.js';
import { openStore } from '../store/open.js';
import { TemplateError } from '../templates/render.js';
import { formatDay } from '../templates/wording.js';
import { parseNow, setupOrExitCode, type Setup } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';
import { forTerminal } from '../output/terminal.js';

export interface DigestOptions {
  config: string;
  date?: string;
  preview?: boolean;
  /** With --preview: where to write the HTML part. */
  html?: string;
  /** Build as at this instant (ISO 8601); default now. */
  now?: string;
}

export interface DigestCommandDeps {
  /** How the message leaves (default: the config's sender). */
  createSender?: (setup: Setup) => MailSender;
}

function validDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === value;
}


export async function runDigest(opts: DigestOptions, io: CommandIO = processIO, deps: DigestCommandDeps = {}): Promise<number> {
  const now = parseNow(opts.now);
  if ('error' in now) {
    io.err(`${now.error}\n`);
    return 2;
  }
  if (opts.date !== undefined && !validDate(opts.date)) {
    io.err(`--date: expected a date as YYYY-MM-DD, such as 2027-04-14, got "${opts.date}"\n`);
    return 2;
  }
  if (opts.html !== undefined && opts.preview !== true) {
    io.err('--html FILE goes with --preview: it saves the HTML part of the digest being previewed.\n');
    return 2;
  }
  const setup = setupOrExitCode(opts.config, io);
  if (typeof setup === 'number') return setup;
  const { config, dir } = setup.loaded;
  const instant = new Date(now.now);
  const tz = config.council.timezone;
  const date = opts.date ?? digestDateOf(instant, tz);
  const day = formatDay(`${date}T12:00:00Z`, tz);
  const storePath = path.resolve(dir, config.store.path);
  const templatesDir = config.templates !== undefined ? path.resolve(dir, config.templates.dir) : undefined;
  const composeDeps = { engine: setup.engine, config, ...(templatesDir !== undefined ? { templatesDir } : {}) };

  if (opts.preview === true) {
    const fresh = !existsSync(storePath);
    const store = openStore(fresh ? ':memory:' : storePath);
    try {
      const since = (await store.lastDigest(date))?.sentAt;
      const period: DigestPeriod = { date, ...(since !== undefined ? { since } : {}), until: (await store.getDigest(date))?.sentAt ?? now.now };
      const message = composeDigest(await buildDigest({ store, engine: setup.engine, config }, period), composeDeps);
      if (fresh) io.err(`There is no state file yet (${storePath}), so this digest is empty; it fills up once wardwatch run has been at work.\n`);
      io.out(forTerminal(`To: ${message.to.map((a) => a.address).join(', ')}\nSubject: ${message.subject}\n\n${message.text}`));
      if (opts.html !== undefined) {
        writeFileSync(opts.html, message.html ?? '', 'utf8');
        io.out(`\n(The HTML part has been saved to ${path.resolve(opts.html)}; open it in a browser to see the digest as the Clerk receives it.)\n`);
      } else {
        io.out('\n(The digest is sent with an HTML part as well; add --html FILE to save it and open it in a browser.)\n');
      }
      io.out('(Preview only: nothing has been sent or recorded.)\n');
      return 0;
    } catch (err) {
      if (err instanceof TemplateError) {
        io.err(`The digest could not be prepared because of a problem with its template:\n${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      await store.close();
    }
  }

  const store = openStore(storePath);
  try {
    const sent = await store.getDigest(date);
    if (sent !== undefined) {
      io.out(`The digest for ${day} was already sent (recorded at ${sent.sentAt}); Wardwatch sends one digest a day. Use --preview to read it again.\n`);
      return 0;
    }
    if (config.dryRun) {
      io.out(`dryRun is on in ${opts.config}, so the digest for ${day} is not sent. Use --preview to read it.\n`);
      return 0;
    }
    let sender: MailSender;
    try {
      sender = deps.createSender !== undefined ? deps.createSender(setup) : createSender(config, dir);
    } catch (err) {
      io.err(`The digest could not be sent: ${errorMessage(err)}\n`);
      return 2;
    }
    try {
      const settled = await settleDigestAttempt({ store, sender }, date, instant, config.delivery);
      if (settled === 'recognised') {
        io.out(`The digest for ${day} had already gone out before an interruption; it is now recorded and was not sent again.\n`);
        return 0;
      }
      if (settled === 'held') {
        io.err(
          `The digest for ${day} was interrupted while being sent and the mail server cannot say whether it went, so it is not sent again. ` +
            `If it did not arrive, run: wardwatch outbox release 'digest;${date}' --config ${opts.config} — then send it with this command.\n`,
        );
        return 1;
      }
      const since = (await store.lastDigest(date))?.sentAt;
      const built = await deliverDigest(
        { store, engine: setup.engine, config, sender, ...(templatesDir !== undefined ? { templatesDir } : {}) },
        { date, ...(since !== undefined ? { since } : {}), until: now.now },
        instant,
      );
      const { findings, needsHuman } = built.sections.totals;
      io.out(
        `The digest for ${day} was sent to ${built.recipients.join(', ')}: ${findings} finding${findings === 1 ? '' : 's'}, ` +
          `${needsHuman} item${needsHuman === 1 ? '' : 's'} needing attention.\n`,
      );
      return 0;
    } catch (err) {
      io.err(`The digest for ${day} could not be sent: ${errorMessage(err)}\nNothing has been recorded, so it can be sent again with the same command.\n`);
      return 1;
    } finally {
      await sender.close();
    }
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('digest')
    .description("send (or, with --preview, show) the Clerk's daily digest")
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .option('--date <date>', 'the day the digest is for, YYYY-MM-DD (default: today, in the council timezone)')
    .option('--preview', 'print the digest instead of sending it; nothing is sent or recorded')
    .option('--html <file>', 'with --preview: save the HTML part to this file')
    .option('--now <iso>', 'build the digest as at this instant (ISO 8601), e.g. 2027-04-14T07:30:00Z')
    .action(async (opts: DigestOptions) => {
      process.exitCode = await runDigest(opts);
    });
}
