import { ErrorCode, KvndbError, toKvndbError } from '@kvndb/shared';
import type { FastifyReply } from 'fastify';

/**
 * Codes the HTTP door answers besides the router's own (ErrorCode): conditions that are
 * errors only in HTTP's terms. Every error body is { error: CODE, message }.
 */
export const HttpCode = {
  NOT_FOUND: 'NOT_FOUND',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
} as const;

/** The HTTP status of each error code; anything not listed is a 500. */
const STATUS: Readonly<Record<string, number>> = {
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.PROTOCOL_ERROR]: 400,
  [ErrorCode.AUTH_FAILED]: 401,
  [HttpCode.NOT_FOUND]: 404,
  [ErrorCode.NO_SUCH_KEY]: 404,
  [HttpCode.METHOD_NOT_ALLOWED]: 405,
  [HttpCode.REQUEST_TIMEOUT]: 408,
  [ErrorCode.WRONG_TYPE]: 409,
  // The watch's history no longer holds the writes after the asked seq: gone for good.
  [ErrorCode.COMPACTED]: 410,
  [HttpCode.PRECONDITION_FAILED]: 412,
  [ErrorCode.TOO_LARGE]: 413,
  [HttpCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.NOT_A_NUMBER]: 422,
  [ErrorCode.OVERFLOW]: 422,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.NOT_SUPPORTED]: 501,
  [ErrorCode.NO_REPLICAS]: 503,
  [ErrorCode.SHUTTING_DOWN]: 503,
  [ErrorCode.CONNECTION_CLOSED]: 503,
  [ErrorCode.TIMEOUT]: 504,
};

/**
 * Errors after which the request's connection is not reused: its body may be left unread
 * (a refused login is answered before its body is read; closing spares reading it at all).
 */
const CLOSE_AFTER = new Set<string>([ErrorCode.TOO_LARGE, HttpCode.REQUEST_TIMEOUT, ErrorCode.AUTH_FAILED]);

export function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

export function httpError(code: string, message: string): KvndbError {
  return new KvndbError(code, message);
}

/**
 * Fastify's own errors (a body over the limit, a malformed JSON body, a bad URL...) as the
 * door's codes, so that every error looks the same to a client whoever raised it.
 */
export function fromAnything(err: unknown): KvndbError {
  if (err instanceof KvndbError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  const message = e?.message ?? String(err);
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return KvndbError.tooLarge(message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError(HttpCode.UNSUPPORTED_MEDIA_TYPE, message);
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_ERR_VALIDATION':
      return KvndbError.badRequest(message);
  }
  // JSON.parse's SyntaxError, through Fastify's JSON parser, carries statusCode 400.
  if (e?.statusCode === 400 || err instanceof SyntaxError) return KvndbError.badRequest(message);
  if (e?.statusCode === 413) return KvndbError.tooLarge(message);
  return toKvndbError(err);
}

/** Answer `err` as { error, message } with its status (and Retry-After for NO_REPLICAS). */
export function sendError(reply: FastifyReply, err: KvndbError): FastifyReply {
  const status = statusOf(err.code);
  if (err.code === ErrorCode.NO_REPLICAS || err.code === ErrorCode.SHUTTING_DOWN) reply.header('retry-after', '1');
  if (err.code === ErrorCode.AUTH_FAILED) reply.header('www-authenticate', 'Bearer realm="kvndb", Basic realm="kvndb"');
  if (CLOSE_AFTER.has(err.code)) reply.header('connection', 'close');
  const body: Record<string, unknown> = { error: err.code, message: err.message };
  // A watch behind the history: where it can start again.
  if (err.code === ErrorCode.COMPACTED && err.details?.oldestSeq !== undefined) body.oldestSeq = err.details.oldestSeq;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
