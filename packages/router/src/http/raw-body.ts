import type { IncomingMessage } from 'node:http';
import { KvndbError } from '@kvndb/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpCode, httpError } from './http-errors';

export interface RawBodyLimits {
  /** Largest body accepted (the value limit): a bigger Content-Length is refused before reading. */
  maxBytes: number;
  /** ms the whole body may take to arrive (slowloris); 0 = no limit. */
  timeoutMs: number;
}

/**
 * Bodies as raw bytes, for every content type, in the scope it is registered in (the
 * key/value routes). A Content-Length body is read straight into one buffer of that size,
 * so a large value is held once at this layer, never as chunks plus their concatenation;
 * a chunked body is collected up to the limit. The limit is checked before buffering, and a
 * body that trickles in slower than the frame timeout is refused (408) and its connection
 * closed, as the native and RESP doors close a frame that takes too long.
 */
export function registerRawBody(app: FastifyInstance, limits: RawBodyLimits): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: Buffer) => void) => {
    readRaw(req.raw, payload, limits).then(
      (body) => done(null, body),
      (err: Error) => done(err),
    );
  });
}

function readRaw(raw: IncomingMessage, payload: IncomingMessage, limits: RawBodyLimits): Promise<Buffer> {
  const header = raw.headers['content-length'];
  const declared = header === undefined ? -1 : Number(header);
  if (declared > limits.maxBytes) {
    return Promise.reject(tooLarge(declared, limits.maxBytes));
  }
  return new Promise((resolve, reject) => {
    let buf: Buffer | null = declared >= 0 ? Buffer.allocUnsafe(declared) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (err: Error | null, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      payload.removeListener('aborted', onAborted);
      if (err) {
        buf = null;
        chunks.length = 0;
        // Stop reading what is left: the answer closes the connection.
        payload.pause();
        reject(err);
      } else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      const next = received + chunk.length;
      if (buf !== null) {
        if (next > buf.length) return finish(KvndbError.badRequest(`the body is longer than its Content-Length of ${buf.length}`));
        chunk.copy(buf, received);
      } else {
        if (next > limits.maxBytes) return finish(tooLarge(next, limits.maxBytes));
        chunks.push(chunk);
      }
      received = next;
    };
    const onEnd = (): void => {
      if (buf !== null) {
        if (received !== buf.length) return finish(KvndbError.badRequest(`the body ended after ${received} of its ${buf.length} bytes`));
        return finish(null, buf);
      }
      finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onError = (err: Error): void => finish(KvndbError.badRequest(`reading the body failed: ${err.message}`));
    const onAborted = (): void => finish(KvndbError.badRequest('the client aborted the request body'));
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(
            () => finish(httpError(HttpCode.REQUEST_TIMEOUT, `the body took more than ${limits.timeoutMs} ms to arrive (${received} bytes came)`)),
            limits.timeoutMs,
          )
        : null;
    timer?.unref();
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('aborted', onAborted);
  });
}

function tooLarge(size: number, limit: number): KvndbError {
  return KvndbError.tooLarge(`the body is ${size} bytes, the value limit is ${limit}`, { size, limit });
}
