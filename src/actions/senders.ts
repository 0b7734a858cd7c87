/**
 * Chooses how outgoing mail leaves, from the config's `sender`:
 * - `file` (the embedded default): each message written as an .eml into a folder;
 * - `smtp`: handed to the council's mail server;
 * - `connector`: sent through a live connector (IMAP/SMTP, Microsoft 365, Google), which the
 *   service wires up with that connector; this function cannot build one on its own.
 */
import path from 'node:path';
import { connectorModule } from '../../connectors/index.js';
import type { Config } from '../config/schema.js';
import type { Environment } from '../config/secrets.js';
import type { MailSender } from '../sources/types.js';
import { FileSender } from './file-sender.js';
import { smtpSenderFromConfig } from './smtp-sender.js';

/**
 * The sender the config asks for. `baseDir` is the folder the config file is in: a relative
 * `sender.dir` is read from there.
 */
export function createSender(config: Config, baseDir: string, env?: Environment): MailSender {
  const sender = config.sender;
  switch (sender.kind) {
    case 'file':
      return new FileSender(path.resolve(baseDir, sender.dir));
    case 'smtp':
      return smtpSenderFromConfig(sender, env !== undefined ? { env } : {});
    case 'connector': {
      const name = sender.connector;
      const title = connectorModule(name)?.title ?? name;
      const configured = config.connectors[name] !== undefined;
      throw new Error(
        `sender.kind is "connector", so mail is sent through the ${title} connector (sender.connector: ${name}). ` +
          (configured
            ? `That sender is provided by the ${name} connector itself when the service starts it, not by createSender.`
            : `Please configure connectors.${name} in the config file, or choose sender.kind "file" or "smtp".`),
      );
    }
  }
}
