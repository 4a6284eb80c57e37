/** Something open on one connection: a watcher, a blocked read. */
export interface ConnectionStream {
  /** The connection can take more output. */
  drained?(): void;
  /** The connection closed: release everything, answer nothing. */
  closed(): void;
}

/**
 * The streams and blocked reads open on one connection, by request id: so a connection that
 * goes away releases them all, the per-connection bounds can be counted, and a drained
 * connection resumes its paused watchers.
 */
export class ConnectionStreams {
  readonly watchers = new Map<number, ConnectionStream>();
  readonly waiters = new Set<ConnectionStream>();
  /** The connection closed: nothing new may be opened on it. */
  isClosed = false;

  drained(): void {
    for (const w of [...this.watchers.values()]) w.drained?.();
  }

  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const all = [...this.watchers.values(), ...this.waiters];
    this.watchers.clear();
    this.waiters.clear();
    for (const s of all) s.closed();
  }
}
