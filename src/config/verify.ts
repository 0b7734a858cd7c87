/**
 * What a configuration needs besides being well written, checked the same way by every command
 * that reads one (`validate`, `check`, `explain`, `digest`, `templates --config`, `run`): the
 * mail sender can be built, the IMAP connector's settings resolve (secrets from the environment
 * included), and the Clerk's own templates can be rendered. A file one command accepts, the
 * others accept too.
 */
import path from 'node:path';
import { connectorModule, connectorRuntimeProblems, unknownConnectorMessage } from '../../connectors/index.js';
import { checkTemplates } from '../templates/render.js';
import type { ConfigProblem, PathProblem } from './errors.js';
import { listProfiles } from './profiles.js';
import type { Config } from './schema.js';
import { resolveSecret, SecretError, type Environment } from './secrets.js';

/** The sender as `run` will build it: a pair of SMTP credentials, the secret set, a connector that can send. */
export function senderProblems(config: Config, env: Environment): PathProblem[] {
  const sender = config.sender;
  if (sender.kind === 'smtp') {
    if (sender.password !== undefined && sender.user === undefined) {
      return [{ path: ['sender', 'password'], message: 'a password is given but no user: please give the SMTP user name as sender.user' }];
    }
    if (sender.user !== undefined && sender.password === undefined) {
      return [{ path: ['sender', 'user'], message: 'a user is given but no password: please name the environment variable holding the SMTP password, e.g. password: ${WARDWATCH_SMTP_PASSWORD}' }];
    }
    if (sender.password !== undefined) {
      try {
        resolveSecret(sender.password, env, 'sender.password');
      } catch (err) {
        if (err instanceof SecretError) return [{ path: ['sender', 'password'], message: err.message, bare: true }];
        throw err;
      }
    }
    return [];
  }
  if (sender.kind === 'connector') {
    const name = sender.connector;
    const module = connectorModule(name);
    if (module === undefined) return [{ path: ['sender', 'connector'], message: unknownConnectorMessage(name) }];
    const settings = config.connectors[name];
    if (settings === undefined) {
      return [{ path: ['sender', 'connector'], message: `mail is to be sent through the ${name} connector, but connectors.${name} is not configured; please configure it, or choose sender.kind "file" or "smtp"` }];
    }
    const cannot = module.cannotSend?.(settings);
    if (cannot !== undefined) return [{ path: ['sender', 'connector'], message: cannot }];
  }
  return [];
}

/** Each configured connector's settings as it will read them when the service starts (secrets from the environment included). */
export function connectorProblems(config: Config, env: Environment, configDir: string): PathProblem[] {
  return connectorRuntimeProblems(config, env, configDir).map((p) => ({ path: ['connectors', p.name], message: p.message, bare: true }));
}

/** How a template file is named in a message: relative to the current folder when it is below it. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Every one of the Clerk's own templates (`templates.dir`) rendered with sample data; each problem names its file and line. */
export function templateProblems(config: Config, configDir: string): (PathProblem | ConfigProblem)[] {
  if (config.templates === undefined) return [];
  const dir = path.resolve(configDir, config.templates.dir);
  return checkTemplates(dir).map((p): PathProblem | ConfigProblem => {
    // A problem with the folder itself is placed on templates.dir in the configuration.
    if (p.file === dir) return { path: ['templates', 'dir'], message: `${dir}: ${p.message}` };
    const file = shownPath(p.file);
    return p.line !== undefined ? { file, line: p.line, path: '', message: p.message } : { file, path: '', message: `${file}: ${p.message}` };
  });
}

/** Everything `run` needs from the file besides its layout; `env` is where secrets are read from. */
export function runtimeProblems(config: Config, configDir: string, env: Environment): (PathProblem | ConfigProblem)[] {
  return [...senderProblems(config, env), ...connectorProblems(config, env, configDir), ...templateProblems(config, configDir)];
}

/**
 * Things worth saying that do not stop Wardwatch: one line each, naming the file.
 * Without `protocol:`, which of the five profiles the council could choose and what choosing one does.
 */
export function configWarnings(config: Config, shown: string): string[] {
  const warnings: string[] = [];
  if (config.protocol === undefined) {
    const profiles = listProfiles();
    const named = profiles.length > 1 ? `${profiles.slice(0, -1).join(', ')} or ${profiles[profiles.length - 1] ?? ''}` : profiles.join('');
    warnings.push(
      `${shown}: warning: no protocol is chosen, so every rule is on and findings cite the clauses of all five protocols Wardwatch knows ("004 12.1"). ` +
        `If your council has adopted one of them, add "protocol: NAME" (${named}): Wardwatch then keeps only that protocol's rules and cites its own paragraph numbers.`,
    );
  }
  return warnings;
}
