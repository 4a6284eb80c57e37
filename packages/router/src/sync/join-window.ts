import type { ReplicaHelloInfo } from '@kvndb/shared';

/**
 * The source of truth after a router (re)start: the joiner with the highest (epoch, seq).
 * A reset or empty replica is only chosen when no joiner holds data, since resyncing
 * everyone from an empty node is the classic way to wipe every copy.
 */
export function chooseSource<T extends { readonly hello: ReplicaHelloInfo }>(joiners: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const j of joiners) {
    if (!best || outranks(j.hello, best.hello)) best = j;
  }
  return best;
}

function outranks(a: ReplicaHelloInfo, b: ReplicaHelloInfo): boolean {
  const aData = !a.reset && a.seq > 0;
  const bData = !b.reset && b.seq > 0;
  if (aData !== bData) return aData;
  if (a.reset !== b.reset) return !a.reset;
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  return a.seq > b.seq;
}

/**
 * Startup join window: collects the replicas that connect in the first `windowMs` (or
 * until `expect` of them have), then hands them over once so the router can adopt the
 * best one. Client requests arriving meanwhile are held by the router, not failed.
 */
export class JoinWindow<T> {
  private readonly joiners: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private state: 'idle' | 'open' | 'closed' = 'idle';

  constructor(
    private readonly windowMs: number,
    private readonly expect: number | undefined,
    private readonly onClose: (joiners: T[]) => void,
  ) {}

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The replicas collected so far. */
  get members(): readonly T[] {
    return this.joiners;
  }

  get count(): number {
    return this.joiners.length;
  }

  open(): void {
    if (this.state !== 'idle') return;
    this.state = 'open';
    if (this.windowMs <= 0 || (this.expect !== undefined && this.expect <= 0)) {
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.close(), this.windowMs);
  }

  add(joiner: T): void {
    if (this.state !== 'open') throw new Error('join window is not open');
    this.joiners.push(joiner);
    if (this.expect !== undefined && this.joiners.length >= this.expect) this.close();
  }

  remove(joiner: T): void {
    const i = this.joiners.indexOf(joiner);
    if (i >= 0) this.joiners.splice(i, 1);
  }

  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onClose(this.joiners.splice(0));
  }

  /** Router stopping: close without handing anything over. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state = 'closed';
    this.joiners.length = 0;
  }
}
