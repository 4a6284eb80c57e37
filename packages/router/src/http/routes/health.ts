import { Op, type RouterStatus } from '@kvndb/shared';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context';

/** GET /v1/status (the same JSON as `kvndb status --json`). */
export function statusRoutes(ctx: HttpContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/status', async (_req, reply) => reply.send((await ctx.call([Op.STATUS, 0])) as RouterStatus));
  };
}

/**
 * GET /healthz (the process answers) and GET /readyz (200 only with an in-sync replica to
 * serve from, else 503): open without credentials, as load balancers and orchestrators
 * probe them, and they say nothing beyond up or ready.
 */
export function healthRoutes(ctx: HttpContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const status = ctx.backend.status();
      const inSync = status.replicas.filter((r) => r.state === 'in-sync').length;
      if (inSync > 0 && status.waitingFor === undefined) return reply.send({ status: 'ready', inSync });
      reply.header('retry-after', '1');
      return reply.code(503).send({ status: 'not ready', inSync, ...(status.waitingFor ? { waitingFor: status.waitingFor } : {}) });
    });
  };
}
