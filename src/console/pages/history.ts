/**
 * GET /history: every effect Wardwatch planned (entries for the digest aside), newest first, 50 a
 * page, searchable by person, rule and date (council days). GET /history.csv: the same search,
 * every row, as a spreadsheet — read from the store a page at a time, quoted as RFC 4180 says,
 * with anything a spreadsheet would run as a formula made plain text, and starting with a UTF-8
 * byte-order mark so that Excel on Windows reads curly quotes and dashes as they are.
 */
import { z } from 'zod';
import { actionSpec } from '../../actions/kinds/index.js';
import { ACTION_KINDS } from '../../config/schema.js';
import { zonedParts } from '../../elections/zoned-time.js';
import { StoredItemMemory } from '../../service/item-memory.js';
import type { EffectFilter, EffectRow } from '../../store/types.js';
import { html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  councilToday,
  effectPath,
  effectSubject,
  effectTitle,
  lowerFirst,
  endOfDay,
  errorSummary,
  heading,
  kindName,
  link,
  pagination,
  paragraph,
  parseDay,
  personName,
  ruleName,
  ruleOptions,
  select,
  startOfDay,
  stateLabel,
  stateTag,
  table,
  textInput,
  type FieldError,
} from './common.js';

export const HISTORY_PAGE_SIZE = 50;
/** Rows read from the store at a time for the CSV export. */
export const CSV_PAGE_SIZE = 500;

/** The kinds the history lists: everything but the entries that wait for the digest. */
const LISTED_KINDS = ACTION_KINDS.filter((k) => actionSpec(k).addresses !== 'digest-readers');

const Id = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** The search as typed (kept to show it again) and as a store filter. */
interface Search {
  person: string;
  rule: string;
  from: string;
  to: string;
  errors: FieldError[];
  filter: Omit<EffectFilter, 'beforeId' | 'afterId' | 'limit' | 'newestFirst'>;
}

/** The people whose name holds the text, when exactly one does: their address is searched for. */
function personAddress(ctx: ConsoleContext, text: string): string {
  const wanted = text.trim().toLowerCase();
  const named = ctx.engine.directory.people.filter((p) => p.name.toLowerCase().includes(wanted));
  return named.length === 1 && named[0] !== undefined ? named[0].id : wanted;
}

export function readSearch(query: URLSearchParams, ctx: ConsoleContext): Search {
  const tz = ctx.config.council.timezone;
  const person = (query.get('person') ?? '').trim().slice(0, 200);
  const ruleText = (query.get('rule') ?? '').trim();
  const rule = ruleOptions().some((o) => o.value === ruleText) ? ruleText : '';
  const fromText = (query.get('from') ?? '').trim().slice(0, 20);
  const toText = (query.get('to') ?? '').trim().slice(0, 20);
  const errors: FieldError[] = [];
  const filter: Search['filter'] = { kinds: LISTED_KINDS };
  if (person !== '') filter.recipientContains = personAddress(ctx, person);
  if (rule !== '') filter.rule = rule;
  const from = fromText !== '' ? parseDay(fromText) : undefined;
  const to = toText !== '' ? parseDay(toText) : undefined;
  if (fromText !== '' && from === undefined) errors.push({ field: 'from', message: 'Enter the first day as a real date, for example 2027-03-31 or 31/3/2027' });
  if (toText !== '' && to === undefined) errors.push({ field: 'to', message: 'Enter the last day as a real date, for example 2027-03-31 or 31/3/2027' });
  if (from !== undefined && to !== undefined && to < from) errors.push({ field: 'to', message: 'The last day must be the same as or after the first day' });
  if (errors.length === 0) {
    if (from !== undefined) filter.createdSince = startOfDay(from, tz);
    if (to !== undefined) filter.createdBefore = endOfDay(to, tz);
  }
  return { person, rule, from: fromText, to: toText, errors, filter };
}

/** The search as query parameters, for the paging links and the CSV link. */
function searchQuery(search: Search, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (search.person !== '') q.set('person', search.person);
  if (search.rule !== '') q.set('rule', search.rule);
  if (search.from !== '') q.set('from', search.from);
  if (search.to !== '') q.set('to', search.to);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const text = q.toString();
  return text !== '' ? `?${text}` : '';
}

/** One page, newest first: before `beforeId`, or (going back towards the newest) after `afterId`. */
async function historyPage(ctx: ConsoleContext, search: Search, beforeId: number | undefined, afterId: number | undefined): Promise<{ rows: EffectRow[]; newer: boolean; older: boolean }> {
  if (afterId !== undefined) {
    const page = await ctx.store.listEffects({ ...search.filter, afterId, limit: HISTORY_PAGE_SIZE + 1 });
    const newer = page.length > HISTORY_PAGE_SIZE;
    return { rows: page.slice(0, HISTORY_PAGE_SIZE).reverse(), newer, older: true };
  }
  const page = await ctx.store.listEffects({ ...search.filter, ...(beforeId !== undefined ? { beforeId } : {}), newestFirst: true, limit: HISTORY_PAGE_SIZE + 1 });
  return { rows: page.slice(0, HISTORY_PAGE_SIZE), newer: beforeId !== undefined, older: page.length > HISTORY_PAGE_SIZE };
}

async function history(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const search = readSearch(req.query, ctx);
  const beforeParsed = Id.safeParse(req.query.get('beforeId') ?? '');
  const afterParsed = Id.safeParse(req.query.get('afterId') ?? '');
  const beforeId = beforeParsed.success ? beforeParsed.data : undefined;
  const afterId = beforeId === undefined && afterParsed.success ? afterParsed.data : undefined;

  const form = html`<form method="get" action="/history" novalidate><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Search</legend>${textInput(
    search.errors,
    'person',
    'person',
    'Person',
    search.person,
    'A name, or part of an e-mail address',
    20,
  )}${select(search.errors, 'rule', 'rule', 'Rule', [{ value: '', text: 'Every rule' }, ...ruleOptions()], search.rule)}${textInput(
    search.errors,
    'from',
    'from',
    'From',
    search.from,
    'The first day, for example 2027-03-31 or 31/3/2027',
    10,
  )}${textInput(search.errors, 'to', 'to', 'To', search.to, 'The last day, for example 2027-04-30 or 30/4/2027', 10)}</fieldset><button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Search</button></form>`;

  if (search.errors.length > 0) {
    return { kind: 'page', title: 'Error: History', body: html`${errorSummary(search.errors)}${heading('History')}${form}`, nav: 'history', status: 400 };
  }

  const { rows, newer, older } = await historyPage(ctx, search, beforeId, afterId);
  const now = ctx.now().toISOString();
  const memory = new StoredItemMemory(ctx.store, { cacheSize: 64 });
  const cells = [];
  for (const e of rows) {
    const to = personName(ctx, e.recipient);
    cells.push([
      ctx.formatWhen(e.createdAt),
      ruleName(e.rule),
      kindName(e),
      to,
      stateTag(e, now),
      link(effectPath(e.key), 'View', `the ${lowerFirst(effectTitle(ctx, e))} about ${await effectSubject(ctx, e, memory)}`),
    ]);
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const newerLink = newer && first !== undefined ? `/history${searchQuery(search, { afterId: String(first.id) })}` : undefined;
  const olderLink = older && last !== undefined ? `/history${searchQuery(search, { beforeId: String(last.id) })}` : undefined;
  const filtered = search.person !== '' || search.rule !== '' || search.from !== '' || search.to !== '';
  const results =
    rows.length > 0
      ? html`${table('Effects, newest first', ['When', 'Rule', 'Action', 'To', 'State', 'Details'], cells)}${pagination(newerLink, olderLink)}${paragraph(
          link(`/history.csv${searchQuery(search)}`, 'Download these as a spreadsheet (CSV)'),
        )}`
      : html`<div class="govuk-inset-text">${filtered ? 'Nothing matches your search.' : 'Wardwatch has not planned anything yet.'}</div>`;
  return { kind: 'page', title: 'History', body: html`${heading('History')}${form}${results}`, nav: 'history' };
}

/* ---------------------------------------------------------------------------------------- */
/* CSV                                                                                       */
/* ---------------------------------------------------------------------------------------- */

/**
 * One CSV field: a value a spreadsheet would read as a formula (=, +, -, @, or a tab or carriage
 * return before one) gets a leading apostrophe, and a field with a comma, quote or line break is
 * quoted with its quotes doubled (RFC 4180).
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Without it Excel on Windows takes the file for the local code page: “Blind copies in member–officer …” becomes mojibake. */
export const CSV_BYTE_ORDER_MARK = '\uFEFF';

const CSV_HEADER = ['created', 'rule', 'rule title', 'action', 'to', 'address', 'state', 'about', 'finished', 'attempts', 'last error', 'effect key', 'item key'];

async function historyCsv(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const search = readSearch(req.query, ctx);
  if (search.errors.length > 0) {
    return { kind: 'error', title: 'Error: History', body: html`${errorSummary(search.errors)}${heading('History')}${paragraph(link('/history', 'Back to the history'))}`, nav: 'history', status: 400 };
  }
  const tz = ctx.config.council.timezone;
  const local = (iso: string | undefined): string => {
    if (iso === undefined) return '';
    const p = zonedParts(new Date(iso), tz);
    return `${p.day} ${p.time}`;
  };
  const now = ctx.now();
  const nowIso = now.toISOString();
  const memory = new StoredItemMemory(ctx.store, { cacheSize: 256 });
  const out: string[] = [CSV_BYTE_ORDER_MARK, csvRow(CSV_HEADER)];
  let beforeId: number | undefined;
  for (;;) {
    const page = await ctx.store.listEffects({ ...search.filter, ...(beforeId !== undefined ? { beforeId } : {}), newestFirst: true, limit: CSV_PAGE_SIZE });
    for (const e of page) {
      out.push(
        csvRow([
          local(e.createdAt),
          e.rule,
          ruleName(e.rule),
          kindName(e),
          personName(ctx, e.recipient),
          e.recipient,
          stateLabel(e, nowIso).text,
          await effectSubject(ctx, e, memory),
          local(e.doneAt),
          String(e.attempts),
          e.lastError ?? '',
          e.key,
          e.itemKey,
        ]),
      );
    }
    const last = page[page.length - 1];
    if (last === undefined || page.length < CSV_PAGE_SIZE) break;
    beforeId = last.id;
  }
  return { kind: 'download', filename: `wardwatch-history-${councilToday(now, tz)}.csv`, contentType: 'text/csv; charset=utf-8', body: out.join('') };
}

export const historyRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/history', role: 'viewer', handle: history },
  { method: 'GET', path: '/history.csv', role: 'viewer', handle: historyCsv },
];
