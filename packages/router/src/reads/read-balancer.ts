import { ErrorCode, KvndbError } from '@kvndb/shared';
import type { ReadRequest } from './read-request';

/** What the balancer needs from a replica that serves reads. */
export interface ReadTarget {
  readonly id: number;
  readonly name: string;
  /** Reads sent to this replica and not yet answered. */
  readonly inflightReads: number;
  /** Reads this replica has answered since it connected: non-zero means it is proven. */
  readonly answeredReads: number;
  sendRead(req: ReadRequest): void;
}

/** A read that has already been tried on this many replicas fails instead of retrying again. */
export const MAX_READ_ATTEMPTS = 4;

/**
 * Picks the in-sync replica with the fewest outstanding reads; ties go round-robin so an
 * idle cluster still spreads reads. Replicas enter and leave as their state changes.
 */
export class ReadBalancer<T extends ReadTarget = ReadTarget> {
  private targets: T[] = [];
  private next = 0;

  get size(): number {
    return this.targets.length;
  }

  has(target: T): boolean {
    return this.targets.includes(target);
  }

  list(): readonly T[] {
    return this.targets;
  }

  add(target: T): void {
    if (!this.targets.includes(target)) this.targets = [...this.targets, target];
  }

  remove(target: T): void {
    if (this.targets.includes(target)) this.targets = this.targets.filter((t) => t !== target);
  }

  /** The target for the next read, or undefined when none is in sync. */
  pick(): T | undefined {
    const targets = this.targets;
    const n = targets.length;
    if (n === 0) return undefined;
    const start = this.next % n;
    let best = targets[start];
    let bestIndex = start;
    for (let i = 1; i < n && best.inflightReads > 0; i++) {
      const index = (start + i) % n;
      const t = targets[index];
      if (t.inflightReads < best.inflightReads) {
        best = t;
        bestIndex = index;
      }
    }
    this.next = bestIndex + 1;
    return best;
  }

  /**
   * Like pick(), but among targets that have answered reads before when there are any: a
   * read retried because its replica went away goes to a proven one, not to a replica that
   * just came in sync (and, having nothing outstanding, would otherwise win).
   */
  pickProven(): T | undefined {
    let best: T | undefined;
    for (const t of this.targets) {
      if (t.answeredReads > 0 && (best === undefined || t.inflightReads < best.inflightReads)) best = t;
    }
    return best ?? this.pick();
  }

  /** Send a read to the best target, or answer NO_REPLICAS when there is none. */
  route(req: ReadRequest, retry = false): void {
    const target = retry ? this.pickProven() : this.pick();
    if (!target) {
      req.sink.reply(req.tag, KvndbError.noReplicas());
      return;
    }
    req.attempts++;
    target.sendRead(req);
  }

  /**
   * Reads that were outstanding on a replica that went away: try each on another one,
   * preferring replicas that have answered reads before (pickProven). A
   * read that has already been through MAX_READ_ATTEMPTS replicas (it may be what kills
   * them) fails with REPLICA_ERROR instead of going round forever.
   */
  reroute(reqs: Iterable<ReadRequest>, lostName: string): void {
    for (const req of reqs) {
      if (req.attempts >= MAX_READ_ATTEMPTS) {
        req.sink.reply(
          req.tag,
          new KvndbError(ErrorCode.REPLICA_ERROR, `read failed on ${req.attempts} replicas (last: ${lostName} disconnected)`, {
            details: { attempts: req.attempts },
          }),
        );
      } else {
        this.route(req, true);
      }
    }
  }
}
