import type { Address } from '../items/types.js';

/** What messages about a mail item name it by, kept beside its original. */
export interface MailHeadline {
  subject: string;
  /** ISO 8601 UTC, when the message gave a readable date. */
  date?: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  /** The message's References (trimmed), so what Wardwatch sends about it threads with it; absent in headlines saved before. */
  references?: string[];
}
