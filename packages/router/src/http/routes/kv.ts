import { KvndbError, Op, checkContentType, type SetFlags } from '@kvndb/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpContext } from '../http-context';
import { HttpCode, httpError } from '../http-errors';
import { encodingOf, valueToJson } from '../json-values';
import { registerRawBody, type RawBodyLimits } from '../raw-body';
import { decodeStrict, parseQuery, positiveInt, single, splitUrl } from '../url-decoding';

const PREFIX = '/v1/kv/';

/** The key a /v1/kv/{key} URL names: everything after the prefix, `/` included, strictly percent-decoded. */
export function keyOf(req: FastifyRequest): { key: string; query: Map<string, string[]> } {
  const { path, query } = splitUrl(req.raw.url ?? '');
  const key = decodeStrict(path.slice(PREFIX.length), 'the key');
  if (key === '') throw KvndbError.badRequest('the key is empty: use /v1/kv/{key}');
  return { key, query: parseQuery(query) };
}

/** An entity tag as kvndb gives it: the key's version, quoted. */
const etag = (version: number): string => `"${version}"`;

/** The version an If-Match / If-None-Match names; only one tag (or *) is taken. */
function versionOf(header: string, name: string): number | '*' {
  const h = header.trim();
  if (h === '*') return '*';
  const m = /^(?:W\/)?"?([0-9]+)"?$/.exec(h);
  if (!m || !Number.isSafeInteger(Number(m[1]))) {
    throw KvndbError.badRequest(`${name} must be one version as an ETag ("123") or *, got ${JSON.stringify(h.slice(0, 64))}`);
  }
  return Number(m[1]);
}

/** What GET answers for a key stored without a content type. */
const OCTET_STREAM = 'application/octet-stream';

/**
 * The content type a PUT stores: its Content-Type, checked (400 when not a media type of at
 * most 255 bytes), or none. A form type is not stored: it is what `curl -d` and HTML forms
 * send whatever the bytes are, so it says nothing about the value (the body is stored raw).
 */
function contentTypeOf(req: FastifyRequest): string | undefined {
  const given = req.headers['content-type'];
  if (given === undefined) return undefined;
  const type = checkContentType(given);
  return /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type) ? undefined : type;
}

/** A write's condition, expiry and content type from If-Match, If-None-Match, ?ttl= and Content-Type. */
function setFlagsOf(req: FastifyRequest, query: Map<string, string[]>): SetFlags | null {
  const flags: SetFlags = {};
  let any = false;
  const type = contentTypeOf(req);
  if (type !== undefined) {
    flags.ct = type;
    any = true;
  }
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw KvndbError.badRequest('give If-Match or If-None-Match, not both');
  if (ifMatch !== undefined) {
    const v = versionOf(ifMatch, 'If-Match');
    if (v === '*') flags.xx = true;
    else flags.ver = v;
    any = true;
  } else if (ifNoneMatch !== undefined) {
    if (versionOf(ifNoneMatch, 'If-None-Match') !== '*') throw KvndbError.badRequest('a write takes If-None-Match: * only (create when absent)');
    flags.nx = true;
    any = true;
  }
  const ttl = positiveInt(query, 'ttl');
  if (ttl !== undefined) {
    flags.px = ttl;
    any = true;
  }
  return any ? flags : null;
}

function entryHeaders(reply: FastifyReply, version: number, updated: number, expires: number): void {
  reply.header('etag', etag(version));
  reply.header('last-modified', new Date(updated).toUTCString());
  reply.header('x-kvndb-version', String(version));
  reply.header('x-kvndb-updated', String(updated));
  if (expires > 0) reply.header('x-kvndb-expires', String(expires));
}

function notFound(key: string): KvndbError {
  return httpError(HttpCode.NOT_FOUND, `no such key: ${JSON.stringify(key.length > 200 ? key.slice(0, 200) + '...' : key)}`);
}

/** The keys a ?keys=a,b,c asks for (repeated keys= parameters add to the list). */
function keysOf(query: Map<string, string[]>): string[] {
  const given = query.get('keys');
  if (!given) throw KvndbError.badRequest('GET /v1/kv needs ?keys=a,b,c (or /v1/kv/{key} for one key)');
  const keys = given.flatMap((v) => v.split(',')).filter((k) => k !== '');
  if (keys.length === 0) throw KvndbError.badRequest('?keys= names no key');
  return keys;
}

/**
 * /v1/kv/{key} (GET, HEAD, PUT, POST, DELETE) with raw bytes in and out, ETag = version, and
 * /v1/kv?keys=a,b,c[&latest=1] and POST /v1/kv with a form body (each field a key).
 */
export function kvRoutes(ctx: HttpContext, body: RawBodyLimits) {
  return async (app: FastifyInstance): Promise<void> => {
    registerRawBody(app, body);
    // Fastify answers a Content-Type it cannot parse with 415 before any handler runs, and
    // lets others through that are not media types either: a write's type is checked here
    // first, so every bad one gets the same 400 naming what is wrong, before the body is read.
    app.addHook('onRequest', async (req) => {
      if ((req.method === 'PUT' || req.method === 'POST') && req.headers['content-type'] !== undefined) contentTypeOf(req);
    });

    app.get('/v1/kv/*', async (req, reply) => {
      const { key } = keyOf(req);
      // An entry read: it carries the content type (GET's plain value read, which standalone
      // answers from its store and the SQLite value cache, does not).
      const [entry] = (await ctx.call([Op.MGET, 0, [key], true])) as Array<[Uint8Array, number, number, number, string?] | null>;
      if (!entry) throw notFound(key);
      const [value, version, updated, expires, type] = entry;
      entryHeaders(reply, version, updated, expires);
      const inm = req.headers['if-none-match'];
      if (inm !== undefined && inm.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag(version))) {
        return reply.code(304).send();
      }
      return reply.type(type ?? OCTET_STREAM).send(Buffer.from(value.buffer, value.byteOffset, value.length));
    });

    const put = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { key, query } = keyOf(req);
      const flags = setFlagsOf(req, query);
      const value = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const [applied, version] = (await ctx.call([Op.PUT, 0, key, value, flags])) as [boolean, number];
      if (!applied) {
        throw httpError(
          HttpCode.PRECONDITION_FAILED,
          flags?.nx ? 'the key exists (If-None-Match: *)' : flags?.xx ? 'the key does not exist (If-Match: *)' : `the key is not at version ${String(flags?.ver)} (If-Match)`,
        );
      }
      reply.header('etag', etag(version));
      return reply.code(200).send({ key, version });
    };
    app.put('/v1/kv/*', put);
    app.post('/v1/kv/*', put);

    app.delete('/v1/kv/*', async (req, reply) => {
      const { key } = keyOf(req);
      const ifMatch = req.headers['if-match'];
      let existed: boolean;
      if (ifMatch !== undefined) {
        // A conditional delete is a one-op transaction: the comparison and the delete at one position of the stream.
        const v = versionOf(ifMatch, 'If-Match');
        const compare = v === '*' ? ['e', key, true] : ['v', key, v];
        const [held, results] = (await ctx.call([Op.TXN, 0, [compare], [['d', key]], []])) as [boolean, unknown[]];
        if (!held) throw httpError(HttpCode.PRECONDITION_FAILED, v === '*' ? 'the key does not exist (If-Match: *)' : `the key is not at version ${v} (If-Match)`);
        existed = results[0] === true;
      } else {
        existed = (await ctx.call([Op.DEL, 0, key])) === true;
      }
      if (!existed) throw notFound(key);
      return reply.code(204).send();
    });

    app.get('/v1/kv', async (req, reply) => {
      const query = parseQuery(splitUrl(req.raw.url ?? '').query);
      const keys = keysOf(query);
      const latest = single(query, 'latest');
      if (latest !== undefined && latest !== '0' && latest !== '') {
        if (latest !== '1' && latest !== 'true') throw KvndbError.badRequest('latest must be 1 or 0');
        const found = (await ctx.call([Op.LATEST, 0, keys])) as [string, Uint8Array, number, number, number, string?] | null;
        if (!found) throw httpError(HttpCode.NOT_FOUND, 'none of the keys exists');
        const [key, value, version, updated, expires, type] = found;
        entryHeaders(reply, version, updated, expires);
        reply.header('x-kvndb-key', encodeURIComponent(key));
        return reply.type(type ?? OCTET_STREAM).send(Buffer.from(value.buffer, value.byteOffset, value.length));
      }
      const encoding = encodingOf(single(query, 'encoding'));
      const entries = (await ctx.call([Op.MGET, 0, keys, true])) as Array<[Uint8Array, number, number, number, string?] | null>;
      const out: Record<string, unknown> = {};
      keys.forEach((k, i) => {
        const e = entries[i];
        if (!e) {
          out[k] = null;
          return;
        }
        const json: Record<string, unknown> = { ...valueToJson(e[0], encoding), version: e[1], updated: e[2], expires: e[3] };
        if (e[4] !== undefined) json.contentType = e[4];
        out[k] = json;
      });
      return reply.send(out);
    });

    // The kvs seed's form: curl -d 'name=value&other=value' stores each field, all at once.
    app.post('/v1/kv', async (req, reply) => {
      const type = String(req.headers['content-type'] ?? '');
      if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw httpError(HttpCode.UNSUPPORTED_MEDIA_TYPE, 'POST /v1/kv takes a form body key=value&...; use PUT /v1/kv/{key} for raw bytes');
      }
      const body = Buffer.isBuffer(req.body) ? req.body.toString('latin1') : '';
      const fields = parseQuery(body);
      if (fields.size === 0) throw KvndbError.badRequest('the form has no key=value field');
      const pairs: Array<[string, Buffer]> = [];
      for (const [k, values] of fields) pairs.push([k, Buffer.from(values[values.length - 1], 'utf8')]);
      await ctx.call([Op.MSET, 0, pairs]);
      return reply.send({ stored: pairs.map(([k]) => k) });
    });
  };
}
