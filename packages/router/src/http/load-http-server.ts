import type { HttpServer as HttpServerClass } from './http-server';

/**
 * The HTTP door's server class, loaded on first use: Fastify, prom-client and what they pull
 * in (about 200 modules) are parsed and compiled only by a router started with --http-port.
 * Loaded at startup they cost every router about 0.5 billion instructions of parsing and
 * compiling (callgrind) and a larger heap for the collector to walk, HTTP or not.
 */
export function loadHttpServer(): typeof HttpServerClass {
  // A plain require keeps the load synchronous and works the same under ts-jest.
  return (require('./http-server') as typeof import('./http-server')).HttpServer;
}
