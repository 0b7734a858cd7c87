/**
 * `wardwatch init [--output FILE] [--force]`: write the commented starter configuration.
 * It never overwrites an existing file unless asked to with --force.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { STARTER_CONFIG } from '../config/starter.js';
import { processOutput, type CommandOutput } from './output.js';

export interface InitOptions {
  /** Where to write; default `council.yaml` in the current folder. */
  output?: string;
  /** Replace an existing file. */
  force?: boolean;
}

/** Write the starter configuration; returns the exit code. */
export function runInit(options: InitOptions = {}, output: CommandOutput = processOutput): number {
  const file = options.output ?? 'council.yaml';
  try {
    writeFileSync(file, STARTER_CONFIG, { encoding: 'utf8', flag: options.force === true ? 'w' : 'wx' });
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
      output.err(`Cannot write ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return 2;
  }
  output.out(
    `Wrote a starter configuration to ${file}.\n` +
      `Replace the example council with your own details, then check it with: wardwatch validate --config ${file}\n`,
  );
  return 0;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('write a commented starter configuration file')
    .option('-o, --output <file>', 'where to write it', 'council.yaml')
    .option('-f, --force', 'replace the file if it already exists', false)
    .action((options: { output: string; force: boolean }) => {
      process.exitCode = runInit({ output: options.output, force: options.force }, processOutput);
    });
}
