/**
 * `wardwatch init [--output FILE] [--force] [--protocol NAME]`: write the commented starter
 * configuration. It never overwrites an existing file unless asked to with --force. The starter
 * holds what Wardwatch would send for the Clerk's approval (`review: true`), the recommended
 * first setting.
 *
 * The protocol: `--protocol NAME` sets it; without it, on a terminal, init asks which of the
 * profiles the council has adopted; otherwise (a script, a pipe) the choice is left as a comment
 * in the file and a warning says how to make it.
 */
import { errorMessage } from '../model/error-message.js';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { suggest } from '../config/errors.js';
import { listProfiles, loadProfile } from '../config/profiles.js';
import { starterConfig } from '../config/starter.js';
import { processOutput, type CommandOutput } from './output.js';

export interface InitOptions {
  /** Where to write; default `council.yaml` in the current folder. */
  output?: string;
  /** Replace an existing file. */
  force?: boolean;
  /** The protocol profile to set; absent: left as a comment, with a warning. */
  protocol?: string;
}

/** Why a protocol name cannot be used, or undefined when it names a profile. */
export function protocolNameProblem(name: string): string | undefined {
  const profiles = listProfiles();
  if (profiles.includes(name)) return undefined;
  const close = suggest(name, profiles);
  return `There is no protocol profile named "${name}".${close !== undefined ? ` Did you mean "${close}"?` : ''} The profiles are: ${profiles.join(', ')}.`;
}

/** Write the starter configuration; returns the exit code. */
export function runInit(options: InitOptions = {}, output: CommandOutput = processOutput): number {
  const file = options.output ?? 'council.yaml';
  if (options.protocol !== undefined) {
    const problem = protocolNameProblem(options.protocol);
    if (problem !== undefined) {
      output.err(`${problem}\n`);
      return 2;
    }
  }
  try {
    writeFileSync(file, starterConfig(options.protocol), { encoding: 'utf8', flag: options.force === true ? 'w' : 'wx' });
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (code === 'EEXIST') {
      output.err(`${file} already exists, so it has been left as it is. Use --force to replace it, or --output to write the starter somewhere else.\n`);
    } else if (code === 'ENOENT') {
      output.err(`Cannot write ${file}: its folder does not exist.\n`);
    } else if (code === 'EISDIR') {
      output.err(`Cannot write ${file}: it is a folder. Give a file name with --output, e.g. --output council.yaml.\n`);
    } else if (code === 'EACCES' || code === 'EPERM') {
      output.err(`Cannot write ${file}: permission denied.\n`);
    } else {
      output.err(`Cannot write ${file}: ${errorMessage(err)}\n`);
    }
    return 2;
  }
  output.out(
    `Wrote a starter configuration to ${file}` +
      (options.protocol !== undefined ? `, keeping the ${options.protocol} protocol (${loadProfile(options.protocol).name}).\n` : '.\n') +
      `Replace the example council with your own details, then check it with: wardwatch validate --config ${file}\n` +
      `It starts in review mode (review: true): nothing goes to a councillor or an officer until you approve it, in the console ` +
      `or with wardwatch outbox approve. Make yourself a console account with: wardwatch users add USERNAME --config ${file} --role clerk\n`,
  );
  if (options.protocol === undefined) {
    output.err(
      `Warning: no protocol is chosen yet, so every rule is on and findings cite the clauses of all five protocols Wardwatch knows. ` +
        `If your council has adopted one of them (${listProfiles().join(', ')}), set "protocol:" in ${file}, or run wardwatch init --protocol NAME --force.\n`,
    );
  }
  return 0;
}

/**
 * Ask which protocol the council has adopted; undefined for none. `ask` puts one question and
 * returns the answer; an answer that names no profile is asked again (three times at most).
 */
export async function askProtocol(ask: (question: string) => Promise<string>, output: CommandOutput = processOutput): Promise<string | undefined> {
  const profiles = listProfiles().map(loadProfile);
  const menu = profiles.map((p) => `  ${p.id.padEnd(11)} ${p.name}\n`).join('');
  output.out(`Which Member/Officer Protocol has your council adopted?\n${menu}  ${'none'.padEnd(11)} none of these: keep every rule, citing all five protocols\n`);
  for (let i = 0; i < 3; i++) {
    const answer = (await ask(`Protocol (${profiles.map((p) => p.id).join(', ')} or none): `)).trim().toLowerCase();
    if (answer === 'none' || answer === '') return undefined;
    const problem = protocolNameProblem(answer);
    if (problem === undefined) return answer;
    output.err(`${problem}\n`);
  }
  output.err('No protocol chosen; the choice is left as a comment in the file.\n');
  return undefined;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('write a commented starter configuration file')
    .option('-o, --output <file>', 'where to write it', 'council.yaml')
    .option('-f, --force', 'replace the file if it already exists', false)
    .option('-p, --protocol <name>', 'the protocol your council has adopted: alton, model-2016, havant, halstead or knutsford (asked on a terminal when not given)')
    .action(async (options: { output: string; force: boolean; protocol?: string }) => {
      let protocol = options.protocol;
      // Asked only when the file can be written: an existing file without --force is refused first.
      const writable = options.force || !existsSync(options.output);
      if (protocol === undefined && writable && process.stdin.isTTY && process.stdout.isTTY) {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          protocol = await askProtocol((q) => rl.question(q));
        } finally {
          rl.close();
        }
      }
      process.exitCode = runInit({ output: options.output, force: options.force, ...(protocol !== undefined ? { protocol } : {}) }, processOutput);
    });
}
