import { describe, expect, it } from 'vitest';
import { resolveSecret, SecretError, secretVariable } from '../../src/config/secrets.js';

function secretError(run: () => unknown): SecretError {
  try {
    run();
  } catch (err) {
    if (err instanceof SecretError) return err;
    throw err;
  }
  throw new Error('expected a SecretError');
}

describe('resolveSecret', () => {
  it('reads the named variable from the environment', () => {
    expect(resolveSecret('${WARDWATCH_SMTP_PASSWORD}', { WARDWATCH_SMTP_PASSWORD: 's3cret' })).toBe('s3cret');
    expect(secretVariable('${GRAPH_SECRET}')).toBe('GRAPH_SECRET');
    expect(secretVariable('plain')).toBeUndefined();
  });

  it('names the variable to set and where it is used when it is not set', () => {
    const err = secretError(() => resolveSecret('${WARDWATCH_SMTP_PASSWORD}', { OTHER: 'x' }, 'sender.password'));
    expect(err.variable).toBe('WARDWATCH_SMTP_PASSWORD');
    expect(err.usedAt).toBe('sender.password');
    expect(err.message).toBe(
      "The environment variable WARDWATCH_SMTP_PASSWORD is not set; sender.password needs it. Please set WARDWATCH_SMTP_PASSWORD in Wardwatch's environment (for example in its service definition) and start it again.",
    );
  });

  it('treats an empty variable as unset, without printing anything of it', () => {
    const err = secretError(() => resolveSecret('${GRAPH_SECRET}', { GRAPH_SECRET: '' }, 'connectors.graph.clientSecret'));
    expect(err.message).toContain('GRAPH_SECRET is set but empty');
    expect(err.message).toContain('connectors.graph.clientSecret');
  });

  it('refuses a secret written in place of a reference, never repeating it', () => {
    const err = secretError(() => resolveSecret('hunter2-very-secret', {}, 'sender.password'));
    expect(err.variable).toBeUndefined();
    expect(err.message).toContain('sender.password must be an environment variable reference');
    expect(err.message).not.toContain('hunter2');
  });

  it('tolerates spaces around the reference', () => {
    expect(resolveSecret(' ${A_SECRET} ', { A_SECRET: 'v' })).toBe('v');
    const err = secretError(() => resolveSecret('${A_SECRET} ', {}, 'connectors.imap.password'));
    expect(err.variable).toBe('A_SECRET');
    expect(err.message).not.toContain('undefined');
  });
});
