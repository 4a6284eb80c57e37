import type { FastifyInstance } from 'fastify';
import type { RouterMetrics } from '../metrics';

/** GET /metrics: the Prometheus text format (behind the same credentials as the API). */
export function metricsRoutes(metrics: RouterMetrics) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (_req, reply) => {
      const { body, contentType } = await metrics.scrape();
      return reply.type(contentType).send(body);
    });
  };
}
