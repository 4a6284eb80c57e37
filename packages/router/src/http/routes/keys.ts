import { DEFAULT_KEYS_LIMIT, MAX_KEYS_LIMIT, Op } from '@kvndb/shared';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context';
import { parseQuery, positiveInt, single, splitUrl } from '../url-decoding';

/** GET /v1/keys?prefix=&cursor=&limit=: one page of keys in code point order, and the cursor of the next (null at the end). */
export function keysRoutes(ctx: HttpContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/keys', async (req, reply) => {
      const query = parseQuery(splitUrl(req.raw.url ?? '').query);
      const prefix = single(query, 'prefix') ?? '';
      const cursor = single(query, 'cursor') || null;
      const limit = positiveInt(query, 'limit', MAX_KEYS_LIMIT) ?? DEFAULT_KEYS_LIMIT;
      const [keys, next] = (await ctx.call([Op.KEYS, 0, prefix, limit, cursor])) as [string[], string | null];
      return reply.send({ keys, cursor: next ?? null });
    });
  };
}
