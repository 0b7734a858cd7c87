/**
 * Views of a message's text that several rules read — its own words (quoted and forwarded
 * history, boilerplate and signature cut away) and its own words with the signature — computed
 * once per item and shared, instead of once per rule. Kept beside the item in a WeakMap, so they
 * go when the item goes.
 */
import type { MailItem } from '../items/types.js';
import { splitQuoted, type QuotedSplit } from './quoting.js';
import { authorWords } from './signature.js';

interface Views {
  /** The text the views were computed from: a view is reused only while the item still holds it. */
  text: string;
  split?: QuotedSplit;
  own?: string;
  signed?: string;
}

const views = new WeakMap<MailItem, Views>();

function viewsOf(item: MailItem): Views {
  const known = views.get(item);
  if (known && known.text === item.text) return known;
  const fresh: Views = { text: item.text };
  views.set(item, fresh);
  return fresh;
}

function splitOf(v: Views): QuotedSplit {
  v.split ??= splitQuoted(v.text);
  return v.split;
}

/** `ownText(item.text)`, computed once per item. */
export function ownTextOf(item: MailItem): string {
  const v = viewsOf(item);
  v.own ??= authorWords(splitOf(v), false);
  return v.own;
}

/** `withoutQuotedReplies(item.text)` (own words and signature), computed once per item. */
export function signedTextOf(item: MailItem): string {
  const v = viewsOf(item);
  v.signed ??= authorWords(splitOf(v), true);
  return v.signed;
}
