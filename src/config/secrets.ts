/**
 * Secrets never live in the configuration file: a secret field holds a `${NAME}` reference and
 * the value is read from the environment when it is needed. Messages name the variable and the
 * field that uses it, never the value.
 */

const REFERENCE = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

export type Environment = Readonly<Record<string, string | undefined>>;

/** Why a secret could not be resolved. `variable` is the environment variable's name, when there was one. */
export class SecretError extends Error {
  readonly variable: string | undefined;
  readonly usedAt: string;

  constructor(message: string, usedAt: string, variable?: string) {
    super(message);
    this.name = 'SecretError';
    this.usedAt = usedAt;
    this.variable = variable;
  }
}

/** The variable a `${NAME}` reference names, or undefined when the text is not such a reference. */
export function secretVariable(ref: string): string | undefined {
  return REFERENCE.exec(ref.trim())?.[1];
}

/**
 * Resolve a `${NAME}` reference from the environment.
 * @param usedAt where the secret is used, for the message (e.g. `sender.password`).
 */
export function resolveSecret(ref: string, env: Environment = process.env, usedAt = 'the configuration'): string {
  const variable = secretVariable(ref);
  if (variable === undefined) {
    throw new SecretError(
      `${usedAt} must be an environment variable reference such as \${WARDWATCH_SMTP_PASSWORD}, not the secret itself; ` +
        'put the secret in an environment variable and name that variable in the configuration.',
      usedAt,
    );
  }
  const value = env[variable];
  if (value === undefined) {
    throw new SecretError(
      `The environment variable ${variable} is not set; ${usedAt} needs it. ` +
        `Please set ${variable} in Wardwatch's environment (for example in its service definition) and start it again.`,
      usedAt,
      variable,
    );
  }
  if (value === '') {
    throw new SecretError(
      `The environment variable ${variable} is set but empty; ${usedAt} needs its value. ` +
        `Please give ${variable} the secret in Wardwatch's environment and start it again.`,
      usedAt,
      variable,
    );
  }
  return value;
}
