import { EventEmitter } from 'node:events';
import { ErrorCode, KvndbError } from '@kvndb/shared';
import type { Options as RetryOptions } from 'p-retry' with { 'resolution-mode': 'import' };

// p-retry is ESM-only; compiled CommonJS loads it through Node 20.19+'s require(esm), and
// jest (CommonJS mode) gets a transformed copy. A static `import` would not type-check here.
type PRetryModule = typeof import('p-retry', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { default: pRetry } = require('p-retry') as PRetryModule;

export interface ReconnectingInfo {
  /** The attempt about to be made (1 = the first after the connection was lost). */
  attempt: number;
  /** How long until it is made. */
  delayMs: number;
}

export interface ReconnectorOptions {
  /** Backoff ceiling. */
  maxDelayMs: number;
  /** Delay before the second attempt; doubles after each failure up to maxDelayMs. */
  minDelayMs?: number;
}

/**
 * Errors that retrying cannot fix: the password or the protocol version is wrong.
 * Everything else (refused, reset, timed out, router shutting down) is worth another try.
 */
export function isFatalConnectError(err: unknown): boolean {
  return err instanceof KvndbError && (err.code === ErrorCode.AUTH_FAILED || err.code === ErrorCode.VERSION_MISMATCH);
}

/** p-retry counts this many retries before starting its timeout table over; far enough. */
const RETRY_TABLE_SIZE = 1000;

/**
 * The reconnect loop: calls `attempt` until it succeeds, with exponential backoff (p-retry),
 * and gives up only on a fatal error or stop(). It logs nothing; the client re-emits its
 * 'reconnecting' events ({attempt, delayMs}) so the application decides what to log.
 * Backoff timers are unref'd so a client that is waiting to reconnect does not by itself
 * keep the process alive.
 */
export class Reconnector extends EventEmitter {
  private readonly maxDelayMs: number;
  private readonly minDelayMs: number;
  private controller: AbortController | null = null;

  constructor(options: ReconnectorOptions) {
    super();
    this.maxDelayMs = Math.max(0, options.maxDelayMs);
    this.minDelayMs = Math.min(options.minDelayMs ?? 50, this.maxDelayMs);
  }

  get running(): boolean {
    return this.controller !== null;
  }

  /** The delay p-retry waits after failed attempt `n` (randomize off, so it is predictable). */
  delayAfter(n: number): number {
    return Math.min(Math.round(this.minDelayMs * 2 ** Math.min(n - 1, 64)), this.maxDelayMs);
  }

  /**
   * Run the loop. Resolves when an attempt succeeds; rejects with the fatal error, or with
   * `stopReason` after stop().
   */
  async run<T>(attempt: (n: number) => Promise<T>): Promise<T> {
    if (this.controller) throw new KvndbError(ErrorCode.INTERNAL, 'reconnect loop already running');
    const controller = new AbortController();
    this.controller = controller;
    const options: RetryOptions = {
      forever: true,
      retries: RETRY_TABLE_SIZE,
      factor: 2,
      minTimeout: this.minDelayMs,
      maxTimeout: this.maxDelayMs,
      randomize: false,
      unref: true,
      signal: controller.signal,
      shouldRetry: (err) => !isFatalConnectError(err) && !controller.signal.aborted,
      onFailedAttempt: (err) => {
        // p-retry 6 calls this even after shouldRetry said no.
        if (isFatalConnectError(err) || controller.signal.aborted) return;
        this.emit('reconnecting', { attempt: err.attemptNumber + 1, delayMs: this.delayAfter(err.attemptNumber) });
      },
    };
    this.emit('reconnecting', { attempt: 1, delayMs: 0 } satisfies ReconnectingInfo);
    try {
      return await pRetry(attempt, options);
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Stop the loop: no further attempts; run() rejects with `reason`. */
  stop(reason: Error): void {
    const controller = this.controller;
    if (!controller) return;
    this.controller = null;
    controller.abort(reason);
  }
}
