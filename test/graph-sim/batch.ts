/**
 * JSON batching: POST /$batch with at most 20 requests, each run through the same router (so
 * faults and throttling apply to inner requests), `dependsOn` honoured, and every inner status
 * reported inside a 200 envelope — a 429 inside the batch does not change the envelope's status.
 * Steps run one after another (Graph may run steps without dependsOn concurrently). Bodies of
 * inner requests are handed to the router as given.
 */
import { graphError, json, type SimRequest, type SimResponse } from './wire.js';

export const MAX_BATCH_REQUESTS = 20;

interface InnerRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

function isInner(v: unknown): v is InnerRequest {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r['id'] === 'string' && typeof r['method'] === 'string' && typeof r['url'] === 'string';
}

export const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/**
 * One response as it sits in the batch envelope. As on Graph, a JSON body stays a JSON value
 * (with `Content-Type: application/json…`, which the SDK's BatchResponseContent looks for under
 * that exact name), and any other body (e.g. a message's `$value`) is base64-encoded into the
 * `body` string, its own content type in `headers`.
 */
function innerResponse(res: SimResponse): { status: number; headers: Record<string, string>; body?: unknown } {
  const headers: Record<string, string> = { ...(res.headers ?? {}) };
  if (res.body === undefined) return { status: res.status, headers };
  if (typeof res.body !== 'string') return { status: res.status, headers: { ...headers, 'Content-Type': JSON_CONTENT_TYPE }, body: res.body };
  const typeKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  const contentType = typeKey !== undefined ? headers[typeKey] ?? 'text/plain' : 'text/plain';
  if (typeKey !== undefined) delete headers[typeKey];
  return { status: res.status, headers: { ...headers, 'Content-Type': contentType }, body: Buffer.from(res.body, 'utf8').toString('base64') };
}

export type InnerHandler = (req: SimRequest) => Promise<SimResponse>;

export async function runBatch(outer: SimRequest, handle: InnerHandler): Promise<SimResponse> {
  const body = outer.body as { requests?: unknown } | undefined;
  const requests = Array.isArray(body?.requests) ? body.requests : undefined;
  if (!requests || !requests.every(isInner)) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  if (requests.length > MAX_BATCH_REQUESTS) {
    return graphError(400, 'BadRequest', `Number of batch requests must be less than or equal to ${MAX_BATCH_REQUESTS}.`);
  }
  const statusById = new Map<string, number>();
  const responses: Array<{ id: string; status: number; headers: Record<string, string>; body?: unknown }> = [];
  for (const r of requests) {
    const failedDep = (r.dependsOn ?? []).find((d) => { const s = statusById.get(d); return s === undefined || s >= 400; });
    if (failedDep !== undefined) {
      const err = graphError(424, 'FailedDependency', `Dependent request ${failedDep} failed.`);
      statusById.set(r.id, 424);
      responses.push({ id: r.id, status: 424, headers: {}, body: err.body });
      continue;
    }
    const url = new URL(r.url.startsWith('/') ? r.url : `/${r.url}`, 'https://batch.invalid');
    const headers: Record<string, string> = { authorization: outer.headers['authorization'] ?? '' };
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
    const res = await handle({
      method: r.method.toUpperCase(), path: decodeURIComponent(url.pathname), query: url.searchParams, headers,
      body: r.body, inBatch: true, batch: outer,
    });
    statusById.set(r.id, res.status);
    responses.push({ id: r.id, ...innerResponse(res) });
  }
  return json(200, { responses });
}
