import type { KvndbError } from '@kvndb/shared';

/**
 * What the parts of a replica session (write applier, read server, resync joiner, snapshot
 * source) need from the session that owns the connection: whether it gave up, and ways to
 * give up. Each part does its own protocol; giving up on the connection is the session's.
 */
export interface SessionHost {
  /** Set once the session gave up on its connection: frames still in the socket chunk are ignored. */
  readonly failed: boolean;
  /** The resync whose snapshot this replica is loading, or null. */
  readonly loadingResyncId: number | null;
  /** Something the protocol does not allow: log it (unless `log` is false), tell the router, close. */
  fail(reason: string, log?: boolean): void;
  /**
   * Give up on the connection: drop pending writes, stop snapshot streams, send `lastWords`
   * (when given) and then `err`, and close.
   */
  giveUp(err: KvndbError, lastWords?: unknown[]): void;
  /** Mark the session failed; the caller closes the connection itself, and its close cleans up. */
  halt(): void;
}
