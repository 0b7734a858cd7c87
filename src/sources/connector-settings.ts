/**
 * Pieces of a connector's settings that mean the same for every connector: how an address and a
 * value-or-`${ENV}` are written, how a secret reference is resolved into the connector's own error,
 * and how its mailboxes and calendars are checked against the rest of the config. Shared so that
 * a Clerk meets the same rules and the same messages whichever connector they configure.
 * `fail` turns a message into the connector's own configuration error.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveSecret, SecretError, secretVariable, type Environment } from '../config/secrets.js';
import { errorMessage } from '../model/error-message.js';

export type ConfigFailure = (message: string) => Error;

/** An e-mail address, trimmed and lower-cased. */
export const emailAddress = z
  .string()
  .trim()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'expected an e-mail address such as clerk@example-tc.gov.uk' })
  .transform((s) => s.toLowerCase());

/** A value written in the file or an `${ENV}` reference to it. */
export const valueOrRef = z.string().trim().min(1);

/** A secret reference (`${VAR}`) resolved from the environment; a missing variable is the connector's configuration error. */
export function requiredSecret(ref: string, field: string, env: Environment, fail: ConfigFailure): string {
  try {
    return resolveSecret(ref, env, field);
  } catch (err) {
    if (err instanceof SecretError) throw fail(err.message);
    throw err;
  }
}

/** A `valueOrRef`: the value as written, or the variable it names resolved. */
export function plainOrSecret(value: string, field: string, env: Environment, fail: ConfigFailure): string {
  return secretVariable(value) === undefined ? value : requiredSecret(value, field, env, fail);
}

/** The text of a file a setting names (a key, a certificate); unreadable is the connector's configuration error. */
export function readSettingFile(file: string, field: string, fail: ConfigFailure): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`${field}: the file ${file} could not be read (${errorMessage(err)}). Please check the path and that Wardwatch may read it.`);
  }
}

/**
 * The mailboxes `connectors.<connector>.mailboxes` names (default: every one in the config's
 * `mailboxes`), each with its folders; one the config does not have is an error.
 */
export function watchedMailboxes(
  connector: string,
  wanted: readonly string[] | undefined,
  configured: readonly { address: string; folders: readonly string[] }[],
  fail: ConfigFailure,
): { address: string; folders: string[] }[] {
  const byAddress = new Map(configured.map((m) => [m.address.toLowerCase(), m]));
  return (wanted ?? [...byAddress.keys()]).map((address) => {
    const m = byAddress.get(address);
    if (m === undefined) {
      throw fail(`connectors.${connector}.mailboxes names ${address}, which is not in the config's mailboxes: please add it there (with its folders) or remove it here.`);
    }
    return { address, folders: [...m.folders] };
  });
}

/** The config's calendar `id` that `connectors.<connector>.calendars` names; one the config does not have is an error. */
export function configuredCalendar<C extends { id: string }>(connector: string, id: string, calendars: readonly C[], fail: ConfigFailure): C {
  const known = new Map(calendars.map((k) => [k.id, k]));
  const c = known.get(id);
  if (c === undefined) {
    const ids = [...known.keys()];
    throw fail(
      `connectors.${connector}.calendars names the calendar "${id}", which is not in the config's calendars (${ids.length > 0 ? ids.join(', ') : 'none are configured'}): please add it there with its role, or correct the id.`,
    );
  }
  return c;
}
