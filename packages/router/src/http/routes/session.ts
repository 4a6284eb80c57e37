import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context';
import { secretOf } from '../http-auth';

/**
 * The monitor's login: POST /v1/login with the password as a Bearer or basic credential
 * answers a session token the page keeps in memory (so the password itself is not kept),
 * POST /v1/logout ends it.
 */
export function sessionRoutes(ctx: HttpContext, refuse: (ip: string) => Promise<never>) {
  return async (app: FastifyInstance): Promise<void> => {
    // Whether the page must ask for a password at all (a router may run without one).
    app.get('/v1/login', async (_req, reply) => reply.send({ passwordRequired: ctx.auth.required }));
    app.post('/v1/login', async (req, reply) => {
      if (!ctx.auth.required) return reply.send({ token: '', expiresAt: 0, passwordRequired: false });
      const secret = secretOf(req.headers.authorization);
      if (secret === null || !ctx.auth.isPassword(secret)) return refuse(req.ip);
      return reply.send({ ...ctx.auth.openSession(), passwordRequired: true });
    });
    app.post('/v1/logout', async (req, reply) => {
      ctx.auth.closeSession(req.headers.authorization);
      return reply.code(204).send();
    });
  };
}

