/**
 * Turning what a message says about people into normalized `Address` values: lower-cased
 * addresses, display names kept, groups flattened, anything that is not a usable address dropped.
 * Nothing here throws on bad input: a malformed address is simply left out.
 */
import type { AddressObject, EmailAddress } from 'mailparser';
import type { Address } from './types.js';

/** Characters that can never appear unquoted in an address we would act on. */
const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/;
const DOMAIN_NAME = /^[^\s@<>()[\]\\,;:"]+$/;
const DOMAIN_LITERAL = /^\[[^\s[\]\\]+\]$/;

/**
 * The address lower-cased and trimmed, or undefined when it is not `local@domain`
 * (empty, no `@`, whitespace or brackets inside, a dot at either end of the domain).
 */
export function normalizeAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!LOCAL_PART.test(local)) return undefined;
  if (DOMAIN_LITERAL.test(domain)) return value;
  if (!DOMAIN_NAME.test(domain) || domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    return undefined;
  }
  return value;
}

/** The domain part of an address, lower-cased; undefined when there is none. */
export function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  return address.slice(at + 1).toLowerCase();
}

/** A display name cleaned of surrounding quotes and whitespace; undefined when nothing is left. */
export function cleanDisplayName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const name = raw
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim()
    .replace(/^["']+|["']+$/g, '')
    .trim();
  return name.length > 0 ? name : undefined;
}

/** Build one Address, or undefined when the address is unusable. */
export function makeAddress(address: string | undefined, name?: string): Address | undefined {
  const normalized = normalizeAddress(address);
  if (!normalized) return undefined;
  const display = cleanDisplayName(name);
  // A display name that only repeats the address adds nothing.
  return display && display.toLowerCase() !== normalized ? { address: normalized, name: display } : { address: normalized };
}

function flatten(entries: readonly EmailAddress[], out: Address[]): void {
  for (const entry of entries) {
    if (entry.group) {
      flatten(entry.group, out);
      continue;
    }
    const made = makeAddress(entry.address, entry.name);
    if (made) out.push(made);
  }
}

/** Addresses from a parsed header (one object, several for a repeated header, or none), groups flattened, duplicates removed. */
export function fromAddressObjects(value: AddressObject | AddressObject[] | undefined): Address[] {
  if (!value) return [];
  const out: Address[] = [];
  for (const object of Array.isArray(value) ? value : [value]) flatten(object.value, out);
  return uniqueAddresses(out);
}

/** Remove repeated addresses, keeping the first occurrence (or the first one that has a display name). */
export function uniqueAddresses(list: Iterable<Address>): Address[] {
  const byAddress = new Map<string, Address>();
  for (const entry of list) {
    const seen = byAddress.get(entry.address);
    if (!seen) byAddress.set(entry.address, entry);
    else if (!seen.name && entry.name) byAddress.set(entry.address, { address: entry.address, name: entry.name });
  }
  return [...byAddress.values()];
}
