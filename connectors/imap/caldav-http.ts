/**
 * The CalDAV requests the connector makes, through tsdav, with every answer checked at the
 * boundary: which reports a collection supports, sync-collection, the collection's CTag, the
 * ETags of its members, calendar-multiget, finding an object by its UID (calendar-query), and
 * GET / PUT (with If-Match) of one object.
 * Failures become ConnectorErrors that name the server and say what to check.
 */
import { z } from 'zod';
import { calendarMultiGet, calendarQuery, getBasicAuthHeaders, propfind, supportedReportSet, syncCollection, updateObject, type DAVResponse } from 'tsdav';
import type { Credentials } from './config.js';
import { ConnectorError, describeHttpError } from './errors.js';

export type FetchFunction = typeof fetch;

export interface CalendarObject {
  /** Absolute URL of the object. */
  url: string;
  etag?: string;
  data: string;
}

export interface SyncChanges {
  /** The new sync token, to send next time. */
  token: string;
  /** Members created or changed since the old token. */
  changed: { url: string; etag?: string }[];
  /** Members removed since the old token. */
  removed: string[];
}

/** The server no longer accepts the sync token (RFC 6578 valid-sync-token): start afresh. */
export class InvalidSyncToken extends Error {
  override readonly name = 'InvalidSyncToken';
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const calendarData = z.union([scalar, z.object({ _cdata: z.string() }).transform((v) => v._cdata), z.object({ _text: z.string() }).transform((v) => v._text)]);
const PropsSchema = z
  .object({
    getetag: scalar.optional(),
    getctag: scalar.optional(),
    syncToken: scalar.optional(),
    calendarData: calendarData.optional(),
    resourcetype: z.unknown().optional(),
  })
  .loose();
const SyncTokenSchema = z.object({ multistatus: z.object({ syncToken: scalar }).loose() }).loose();

function props(response: DAVResponse): z.infer<typeof PropsSchema> {
  const parsed = PropsSchema.safeParse(response.props ?? {});
  return parsed.success ? parsed.data : {};
}

function isMultistatus(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'multistatus' in raw;
}

function isCollection(response: DAVResponse): boolean {
  const type = props(response).resourcetype;
  return typeof type === 'object' && type !== null && 'collection' in type;
}

/** True when an iCalendar text has a component with exactly this UID (folded lines joined). */
function hasUid(ics: string, uid: string): boolean {
  return ics
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .some((line) => {
      const m = /^UID(?:;[^:]*)?:(.*)$/i.exec(line);
      return m?.[1] !== undefined && m[1].trim() === uid;
    });
}

export class CaldavHttp {
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: FetchFunction;

  /**
   * @param timeoutMs a request that has not finished by then is abandoned (a server that
   *   accepts connections but never answers must not stall the watcher).
   */
  constructor(
    private readonly credentials: Credentials,
    fetchImpl: FetchFunction = globalThis.fetch,
    timeoutMs = 60_000,
  ) {
    const auth = getBasicAuthHeaders({ username: credentials.user, password: credentials.password });
    this.headers = auth.authorization ? { authorization: auth.authorization } : {};
    this.fetchImpl = (input, init) => fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  }

  private async call<T>(url: string, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ConnectorError || err instanceof InvalidSyncToken) throw err;
      // tsdav reports a failed REPORT as "Collection query failed: <status> …".
      const status = err instanceof Error ? /Collection query failed: (\d{3})/.exec(err.message)?.[1] : undefined;
      if (status !== undefined) this.check(Number(status), url, what);
      throw new ConnectorError(`Could not ${what}: ${describeHttpError(err, url)}.`, { cause: err });
    }
  }

  /** Turns an HTTP status into a ConnectorError (or nothing when it is a success). */
  private check(status: number, url: string, what: string, raw?: unknown): void {
    if (status >= 200 && status < 300) return;
    if (typeof raw === 'string' && raw.includes('valid-sync-token')) throw new InvalidSyncToken('The sync token is no longer valid.');
    if (status === 401 || status === 403) {
      throw new ConnectorError(
        `Could not ${what}: the calendar server refused access for ${this.credentials.user} (HTTP ${status}); check the user name, the password in its environment variable and the calendar's sharing.`,
      );
    }
    if (status === 404 || status === 410) {
      throw new ConnectorError(`Could not ${what}: nothing was found at ${url} (HTTP ${status}); check the calendar's path in connectors.imap.caldav.calendars.`, { permanent: true });
    }
    throw new ConnectorError(`Could not ${what}: the calendar server answered HTTP ${status} for ${url}.`);
  }

  /** A failed request comes back as one entry that is not a multistatus (per-member statuses are fine). */
  private firstStatus(responses: DAVResponse[], url: string, what: string): void {
    const failed = responses.find((r) => !r.ok && !isMultistatus(r.raw));
    if (failed) this.check(failed.status, url, what, failed.raw);
  }

  async supportsSyncCollection(collectionUrl: string): Promise<boolean> {
    return this.call(collectionUrl, 'ask the calendar server what it supports', async () => {
      const reports = await supportedReportSet({ collection: { url: collectionUrl }, headers: this.headers, fetch: this.fetchImpl });
      return reports.includes('syncCollection');
    });
  }

  /** RFC 6578 sync-collection from `token` (all members when it is undefined). */
  async syncCollection(collectionUrl: string, token: string | undefined): Promise<SyncChanges> {
    const what = 'read the changes of the calendar';
    return this.call(collectionUrl, what, async () => {
      const responses = await syncCollection({
        url: collectionUrl,
        props: { 'd:getetag': {} },
        syncLevel: 1,
        ...(token ? { syncToken: token } : {}),
        headers: this.headers,
        fetch: this.fetchImpl,
      });
      this.firstStatus(responses, collectionUrl, what);
      const first = responses[0];
      const tokenParsed = SyncTokenSchema.safeParse(first?.raw);
      if (!tokenParsed.success) throw new ConnectorError(`Could not ${what}: the calendar server at ${collectionUrl} sent no sync token.`);
      const changes: SyncChanges = { token: tokenParsed.data.multistatus.syncToken, changed: [], removed: [] };
      for (const r of responses) {
        if (!r.href) continue;
        const url = new URL(r.href, collectionUrl).href;
        if (url === collectionUrl) continue;
        if (r.status === 404) {
          changes.removed.push(url);
          continue;
        }
        if (!r.ok) continue;
        const etag = props(r).getetag;
        changes.changed.push(etag !== undefined ? { url, etag } : { url });
      }
      return changes;
    });
  }

  /** The collection's CTag (calendarserver.org getctag), when the server keeps one. */
  async ctag(collectionUrl: string): Promise<string | undefined> {
    const what = 'check the calendar for changes';
    return this.call(collectionUrl, what, async () => {
      const responses = await propfind({ url: collectionUrl, props: { 'cs:getctag': {} }, depth: '0', headers: this.headers, fetch: this.fetchImpl });
      this.firstStatus(responses, collectionUrl, what);
      const own = responses.find((r) => r.href !== undefined && new URL(r.href, collectionUrl).href === collectionUrl) ?? responses[0];
      return own ? props(own).getctag : undefined;
    });
  }

  /** Every member's ETag (PROPFIND depth 1). */
  async etags(collectionUrl: string): Promise<Map<string, string>> {
    const what = 'list the events of the calendar';
    return this.call(collectionUrl, what, async () => {
      const responses = await propfind({
        url: collectionUrl,
        props: { 'd:getetag': {}, 'd:resourcetype': {} },
        depth: '1',
        headers: this.headers,
        fetch: this.fetchImpl,
      });
      this.firstStatus(responses, collectionUrl, what);
      const out = new Map<string, string>();
      for (const r of responses) {
        if (!r.href || !r.ok || isCollection(r)) continue;
        const url = new URL(r.href, collectionUrl).href;
        const etag = props(r).getetag;
        if (url !== collectionUrl && etag !== undefined) out.set(url, etag);
      }
      return out;
    });
  }

  /** The calendar data of the given members (calendar-multiget, in batches). */
  async multiget(collectionUrl: string, urls: string[]): Promise<CalendarObject[]> {
    const what = 'read events from the calendar';
    const out: CalendarObject[] = [];
    for (let i = 0; i < urls.length; i += 50) {
      const batch = urls.slice(i, i + 50);
      const responses = await this.call(collectionUrl, what, () =>
        calendarMultiGet({
          url: collectionUrl,
          props: { 'd:getetag': {}, 'c:calendar-data': {} },
          objectUrls: batch.map((u) => new URL(u).pathname),
          depth: '1',
          headers: this.headers,
          fetch: this.fetchImpl,
        }),
      );
      for (const r of responses) {
        if (!r.href || !r.ok) continue;
        const p = props(r);
        if (p.calendarData === undefined) continue;
        const object: CalendarObject = { url: new URL(r.href, collectionUrl).href, data: p.calendarData };
        if (p.getetag !== undefined) object.etag = p.getetag;
        out.push(object);
      }
    }
    return out;
  }

  /**
   * The URL of the member holding the event with this UID (RFC 4791 calendar-query on UID), or
   * undefined when the calendar has none. The server's text-match is a substring match, so each
   * answer's calendar data is checked for the exact UID.
   */
  async findByUid(collectionUrl: string, uid: string): Promise<string | undefined> {
    const what = 'look for the event on the calendar';
    return this.call(collectionUrl, what, async () => {
      const responses = await calendarQuery({
        url: collectionUrl,
        props: { 'd:getetag': {}, 'c:calendar-data': {} },
        filters: {
          'comp-filter': {
            _attributes: { name: 'VCALENDAR' },
            'comp-filter': {
              _attributes: { name: 'VEVENT' },
              'prop-filter': { _attributes: { name: 'UID' }, 'text-match': { _attributes: { collation: 'i;octet' }, _text: uid } },
            },
          },
        },
        depth: '1',
        headers: this.headers,
        fetch: this.fetchImpl,
      });
      this.firstStatus(responses, collectionUrl, what);
      for (const r of responses) {
        if (!r.href || !r.ok) continue;
        const url = new URL(r.href, collectionUrl).href;
        const data = props(r).calendarData;
        if (url !== collectionUrl && data !== undefined && hasUid(data, uid)) return url;
      }
      return undefined;
    });
  }

  /** GET one object with its current ETag. */
  async get(url: string): Promise<CalendarObject> {
    const what = 'read the event';
    return this.call(url, what, async () => {
      const res = await this.fetchImpl(url, { method: 'GET', headers: { ...this.headers, accept: 'text/calendar' } });
      const body = await res.text();
      if (res.status === 404 || res.status === 410) {
        throw new ConnectorError(`The event at ${url} is no longer on the calendar server (HTTP ${res.status}); it may have been deleted.`, { permanent: true });
      }
      this.check(res.status, url, what);
      const etag = res.headers.get('etag');
      return etag ? { url, etag, data: body } : { url, data: body };
    });
  }

  /**
   * PUT with If-Match. Resolves with the new ETag (when the server sends one), or with
   * `'conflict'` when the object changed since `etag` was read (HTTP 412).
   */
  async put(url: string, data: string, etag: string | undefined): Promise<{ etag?: string } | 'conflict'> {
    const what = 'save the event';
    return this.call(url, what, async () => {
      const res = await updateObject({
        url,
        data,
        ...(etag ? { etag } : {}),
        headers: { ...this.headers, 'content-type': 'text/calendar; charset=utf-8' },
        fetch: this.fetchImpl,
      });
      await res.text();
      if (res.status === 412) return 'conflict';
      this.check(res.status, url, what);
      const newEtag = res.headers.get('etag');
      return newEtag ? { etag: newEtag } : {};
    });
  }
}
