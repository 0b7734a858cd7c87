/**
 * A request body read into memory up to a limit, for the service's small HTTP endpoints (webhooks,
 * the console's forms): a body declared or found larger is refused as soon as that is known,
 * without reading the rest.
 */
import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

/** The body, at most `limit` bytes; rejects with BodyTooLarge as soon as it would exceed it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}
