import { COMMANDS_BY_NAME, KvndbError, type Txn, type TxnResult } from '@kvndb/shared';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context';
import { encodingOf, valueFromJson, valueToJson, type Encoding } from '../json-values';

/** Fields holding values in a transaction's comparisons and steps. */
const TXN = COMMANDS_BY_NAME.get('txn')!.methods.txn;

const VALUE_FIELDS = ['value', 'ifValue'] as const;

function withBytes(items: unknown, where: string, encoding: Encoding): unknown {
  if (items === undefined) return undefined;
  if (!Array.isArray(items)) throw KvndbError.badRequest(`"${where}" must be an array`);
  return items.map((item: unknown, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw KvndbError.badRequest(`${where}[${i}] must be an object`);
    const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const f of VALUE_FIELDS) if (f in copy) copy[f] = valueFromJson(copy[f], encoding, `${where}[${i}].${f}`);
    return copy;
  });
}

function resultToJson(r: unknown, encoding: Encoding): unknown {
  if (r instanceof KvndbError) return { error: r.code, message: r.message };
  if (r instanceof Uint8Array) return valueToJson(r, encoding);
  if (r !== null && typeof r === 'object' && 'value' in r) {
    const e = r as { value: Uint8Array; version: number; updated: number; expires: number; contentType?: string };
    const out: Record<string, unknown> = { ...valueToJson(e.value, encoding), version: e.version, updated: e.updated, expires: e.expires };
    if (e.contentType !== undefined) out.contentType = e.contentType;
    return out;
  }
  return r;
}

/**
 * POST /v1/txn: a transaction as JSON, { if, then, else, encoding } with the client
 * library's shapes (docs/HTTP.md); values are UTF-8 text, or base64 with "encoding":
 * "base64". The native command's own encoder checks it, so every door refuses alike.
 */
export function txnRoutes(ctx: HttpContext, maxBodyBytes: number) {
  return async (app: FastifyInstance): Promise<void> => {
    // The body is JSON whatever its Content-Type says: `curl -d '{...}'` sends a form type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body: Buffer, done) => {
      try {
        done(null, JSON.parse(body.toString('utf8')));
      } catch (err) {
        done(KvndbError.badRequest(`the body is not valid JSON: ${(err as Error).message}`));
      }
    });
    app.post('/v1/txn', { bodyLimit: maxBodyBytes }, async (req, reply) => {
      const body = req.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw KvndbError.badRequest('POST /v1/txn takes a JSON object { if, then, else }');
      const b = body as Record<string, unknown>;
      for (const k of Object.keys(b)) {
        if (!['if', 'then', 'else', 'encoding'].includes(k)) throw KvndbError.badRequest(`unknown field "${k}" (expected if, then, else, encoding)`);
      }
      const encoding = encodingOf(b.encoding);
      const t = { if: withBytes(b.if, 'if', encoding), then: withBytes(b.then, 'then', encoding), else: withBytes(b.else, 'else', encoding) } as Txn;
      const msg = TXN.request(ctx.limits, [t]) as unknown[];
      const result = TXN.decode(await ctx.call(msg), [t]) as TxnResult;
      return reply.send({ succeeded: result.succeeded, results: result.results.map((r) => resultToJson(r, encoding)) });
    });
  };
}
