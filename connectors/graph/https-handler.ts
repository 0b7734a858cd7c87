/**
 * The last link of the Graph client's middleware chain: sends the request with node:https, so that
 * a certificate authority of the council's own (a proxy that inspects TLS, or a test's) can be
 * trusted without NODE_EXTRA_CA_CERTS, and a request that hangs is given up after a time.
 */
import { request as httpsRequest } from 'node:https';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

/** Headers as the SDK's middleware may hand them over: name–value pairs, or a plain object. */
const HeaderPairsSchema = z.array(z.array(z.unknown()));
const HeaderRecordSchema = z.record(z.string(), z.unknown());

function headerPairs(h: unknown): [string, string][] {
  if (h === undefined || h === null) return [];
  if (h instanceof Headers) return [...h.entries()];
  const pairs = HeaderPairsSchema.safeParse(h);
  if (pairs.success) return pairs.data.map((pair) => [String(pair[0]), String(pair[1])]);
  const plain = HeaderRecordSchema.safeParse(h);
  return plain.success ? Object.entries(plain.data).map(([k, v]) => [k, String(v)]) : [];
}

/** A request that got no answer: the connection broke or timed out. Whether it took effect is unknown. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** An answer larger than Wardwatch will hold in memory: asking again cannot help. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
}

/** The largest answer read (a $batch of messages with attachments comes as one JSON text). */
export const MAX_ANSWER_BYTES = 400 * 1024 * 1024;

export class HttpsHandler implements Middleware {
  constructor(
    private readonly ca: string | undefined,
    private readonly timeoutMs: number,
    private readonly maxBytes = MAX_ANSWER_BYTES,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const opts = context.options ?? {};
    const raw = opts.body;
    const body = raw === undefined || raw === null ? undefined : typeof raw === 'string' || raw instanceof Uint8Array ? raw : JSON.stringify(raw);
    context.response = await new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(
        url,
        { method: opts.method ?? 'GET', headers: Object.fromEntries(headerPairs(opts.headers)), ...(this.ca !== undefined ? { ca: this.ca } : {}), timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.maxBytes) {
              res.destroy();
              req.destroy();
              reject(new AnswerTooLargeError(`the answer was larger than ${Math.round(this.maxBytes / (1024 * 1024))} MB`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (typeof v === 'string') headers.set(k, v);
              else if (Array.isArray(v)) for (const one of v) headers.append(k, one);
            }
            const status = res.statusCode ?? 502;
            const payload = Buffer.concat(chunks);
            resolve(new Response([101, 204, 205, 304].includes(status) || payload.length === 0 ? null : payload, { status, statusText: res.statusMessage ?? '', headers }));
          });
          res.on('error', (err: NodeJS.ErrnoException) => reject(new NetworkError(`the connection broke while reading the answer (${err.message})`, err.code, err)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new NetworkError(err.message, err.code, err)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}
