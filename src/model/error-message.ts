/** The message of a thrown value, for a log field or a sentence that says what went wrong. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
