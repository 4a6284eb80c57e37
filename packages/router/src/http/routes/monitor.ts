import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The monitor's files: packages/router/monitor/, three levels above this file in src/ and dist/ alike. */
export const MONITOR_DIR = path.resolve(__dirname, '../../../monitor');

/** File name -> where it is and its type. uPlot comes from node_modules: no CDN, these machines may have no internet. */
function assets(): Map<string, { file: string; type: string }> {
  const uplotDir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return new Map([
    ['/', { file: path.join(MONITOR_DIR, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/monitor/monitor.js', { file: path.join(MONITOR_DIR, 'monitor.js'), type: 'text/javascript; charset=utf-8' }],
    ['/monitor/monitor.css', { file: path.join(MONITOR_DIR, 'monitor.css'), type: 'text/css; charset=utf-8' }],
    ['/monitor/uplot.js', { file: path.join(uplotDir, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' }],
    ['/monitor/uplot.css', { file: path.join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' }],
  ]);
}

/**
 * The web monitor: static files, open without credentials (they hold no data); the page
 * logs in through POST /v1/login and then reads the API like any client. Read once at
 * start: a few hundred KiB.
 */
export function monitorRoutes() {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [url, a] of assets()) files.set(url, { body: fs.readFileSync(a.file), type: a.type });
  return async (app: FastifyInstance): Promise<void> => {
    for (const [url, f] of files) {
      app.get(url, async (_req, reply) =>
        reply
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
          .type(f.type)
          .send(f.body),
      );
    }
  };
}
