import { ErrorCode, KvndbError, Op, parseWatch, type WatchPayload } from '@kvndb/shared';
import type { FastifyInstance } from 'fastify';
import type { Watcher } from '../../changes/watcher';
import type { HttpContext } from '../http-context';
import { encodingOf, valueToJson, type Encoding } from '../json-values';
import { parseQuery, single, splitUrl } from '../url-decoding';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * GET /v1/watch?prefix=P | keys=a,b,c [&from=SEQ] [&encoding=base64]: the router's change
 * feed (Router.watch, changes/change-feed.ts) as Server-Sent Events. One `change` event per
 * write that touched a watched key, `id:` its seq, so an EventSource (or any client sending
 * Last-Event-ID) resumes after it losing and repeating nothing: a write's changes are never
 * split across events. The stream opens with an `open` event whose id is the seq it starts
 * after; it ends with an `error` event (COMPACTED, SHUTTING_DOWN). A refusal before the
 * stream starts is a plain JSON error (COMPACTED: 410).
 *
 * Flow control is the feed's: when the socket's buffer is full (write returns false) the
 * watcher pauses, keeps no queue, and catches up from the router's history on 'drain'; if
 * the history has moved past it by then, the stream ends with COMPACTED. A client that never
 * reads costs its socket buffer, never a growing queue in the router.
 */
export function watchRoutes(ctx: HttpContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/watch', async (req, reply) => {
      const query = parseQuery(splitUrl(req.raw.url ?? '').query);
      const prefix = single(query, 'prefix');
      const keys = query.get('keys')?.flatMap((v) => v.split(',')).filter((k) => k !== '');
      if (prefix !== undefined && keys !== undefined) throw KvndbError.badRequest('give ?prefix= or ?keys=, not both');
      if (keys !== undefined && keys.length === 0) throw KvndbError.badRequest('?keys= names no key');
      const encoding = encodingOf(single(query, 'encoding'));
      // Last-Event-ID is what an EventSource sends when it reconnects: it wins over from=,
      // which is the position the page asked for when it first connected.
      const lastId = req.headers['last-event-id'];
      const from = seqOf(typeof lastId === 'string' && lastId !== '' ? lastId : single(query, 'from'), typeof lastId === 'string' && lastId !== '' ? 'Last-Event-ID' : 'from');
      const { selector, fromSeq } = parseWatch([Op.WATCH, 0, keys ?? prefix ?? '', from], ctx.limits);

      const res = reply.raw;
      let heartbeat: NodeJS.Timeout | undefined;
      const stream = {
        shutDown: (err: KvndbError) => watcher.fail(new KvndbError(err.code, err.message, { details: { seq: watcher.position } })),
      };
      const end = () => {
        if (heartbeat) clearInterval(heartbeat);
        heartbeat = undefined;
        ctx.streams.delete(stream);
      };
      // Throws COMPACTED / TOO_MANY_REQUESTS / SHUTTING_DOWN before anything was sent: the
      // error handler answers it with its status (410, 429, 503).
      const watcher: Watcher = ctx.backend.watch(selector, fromSeq, {
        event: (payload) => (res.destroyed ? false : res.write(changeEvent(payload, encoding))),
        error: (err) => {
          end();
          if (!res.destroyed) res.end(errorEvent(err));
        },
      });
      ctx.streams.add(stream);
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx buffers proxied responses unless told not to; events must go out as they come.
        'x-accel-buffering': 'no',
      });
      res.on('drain', () => watcher.resume());
      res.on('close', () => {
        end();
        watcher.close();
      });
      heartbeat = setInterval(() => {
        // Not while paused: the client is not reading, so a ping would only add to its buffer.
        if (!res.writableNeedDrain && !res.destroyed) res.write(': ping\n\n');
      }, HEARTBEAT_MS);
      heartbeat.unref();
      res.write(`id: ${watcher.position}\nevent: open\ndata: ${JSON.stringify({ seq: watcher.position })}\n\n`);
      watcher.start();
    });
  };
}

/** A seq from a query parameter or the Last-Event-ID header (parseWatch checks the range). */
function seqOf(v: string | undefined, what: string): number | null {
  if (v === undefined || v === '') return null;
  if (!/^[0-9]{1,16}$/.test(v)) throw KvndbError.badRequest(`${what} must be a seq (an integer >= 0), got "${v.slice(0, 64)}"`);
  return Number(v);
}

function changeEvent([epoch, seq, changes]: WatchPayload, encoding: Encoding): string {
  const data = {
    epoch,
    seq,
    changes: changes.map(([type, key, value]) => (value ? { type, key, ...valueToJson(value, encoding) } : { type, key, value: null })),
  };
  return `id: ${seq}\nevent: change\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The stream's last event. COMPACTED carries oldestSeq; SHUTTING_DOWN the seq to resume from on the next router. */
function errorEvent(err: KvndbError): string {
  const details = err.details ?? {};
  const body: Record<string, unknown> = { error: err.code, message: err.message };
  if (err.code === ErrorCode.COMPACTED && details.oldestSeq !== undefined) body.oldestSeq = details.oldestSeq;
  if (typeof details.seq === 'number') body.seq = details.seq;
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}
