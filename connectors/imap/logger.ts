/**
 * The logging the IMAP connector needs: a pino-like logger with structured fields. A pino
 * logger fits as is. Fields carry addresses, folders, UIDs, counts and error messages only:
 * never a password and never a message body.
 */
export type LogFields = Record<string, unknown>;

export interface ConnectorLogger {
  debug(fields: LogFields, message?: string): void;
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: ConnectorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export { errorMessage as errorText } from '../../src/model/error-message.js';
