/**
 * The service's structured logs: one JSON object per line on stdout (pino).
 *
 * What is logged: item keys, rule ids, effect keys, counts, source names, error messages.
 * What never is: a password, token or other secret, and never a message body or raw source. The
 * redaction list below is a second line of defence; the code logs no such field in the first place.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type ServiceLogger = Logger;

/** Field names whose values are always replaced, at the top level and up to three levels down. */
export const REDACTED_FIELDS = [
  'password',
  'pass',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'clientSecret',
  'authorization',
  'cookie',
  // Message content: never logged, even by mistake.
  'body',
  'text',
  'html',
  'raw',
  'rawSource',
  'content',
] as const;

function redactionPaths(): string[] {
  const paths: string[] = [];
  for (const field of REDACTED_FIELDS) {
    paths.push(field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`);
  }
  // HTTP-style header objects: headers.authorization and friends.
  paths.push('headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie');
  return paths;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string | undefined): value is LogLevel {
  return value !== undefined && (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerSettings {
  /** Default `info`; `WARDWATCH_LOG_LEVEL` in the environment is read by the `run` command. */
  level?: LogLevel;
  /** Where the lines go; stdout when absent. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): ServiceLogger {
  const options: LoggerOptions = {
    name: 'wardwatch',
    level: settings.level ?? 'info',
    redact: { paths: redactionPaths(), censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    base: { pid: process.pid },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): ServiceLogger {
  return pino({ level: 'silent' });
}

export { errorMessage } from '../model/error-message.js';
