import { ErrorCode, KvndbError } from '@kvndb/shared';
import type { ReplicaLink } from '../replicas/replica-link';
import type { OpsMeter } from '../requests/ops-meter';
import type { ReplySink } from '../requests/reply-sink';
import type { LocalReads } from './local-reads';
import { ReadBalancer } from './read-balancer';
import { ReadRequest } from './read-request';

/**
 * Where reads go: the balancer over the in-sync replicas, kept in step with their states,
 * and the retry of reads whose replica went away.
 */
export class ReadPath {
  readonly balancer = new ReadBalancer<ReplicaLink>();
  private stopping = false;
  /** Reads answered from the store of a replica in this thread (standalone), when set. */
  private local: LocalReads | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly meter: OpsMeter,
    /** Why no replica can serve, for NO_REPLICAS errors. */
    private readonly whyNoReplicas: () => string,
  ) {}

  /** Answer reads from an embedded replica's store when it can (local-reads.ts). */
  readLocally(local: LocalReads): void {
    this.local = local;
    for (const link of this.balancer.list()) if (local.isLocal(link)) local.linkState(link, true);
  }

  /** Send the replica-bound read message [op, id, ...args] to the least busy in-sync replica. */
  read(msg: unknown[], sink: ReplySink, tag: number): void {
    this.meter.reads++;
    if (this.local !== null && this.local.tryRead(msg, sink, tag)) return;
    if (this.balancer.size === 0) {
      sink.reply(tag, KvndbError.noReplicas(this.whyNoReplicas()));
      return;
    }
    this.balancer.route(new ReadRequest(msg, sink, tag, Date.now() + this.timeoutMs));
  }

  /** Replica set 'state': only in-sync replicas serve reads. */
  stateChanged(link: ReplicaLink): void {
    if (link.state === 'in-sync') this.balancer.add(link);
    else this.balancer.remove(link);
    if (this.local?.isLocal(link)) this.local.linkState(link, link.state === 'in-sync');
  }

  /** Replica set 'gone': its outstanding reads go to another replica (or fail while stopping). */
  linkGone(link: ReplicaLink): void {
    this.balancer.remove(link);
    if (this.local?.isLocal(link)) this.local.linkState(link, false);
    const reads = link.takeOutstanding();
    if (!this.stopping) {
      this.balancer.reroute(reads, link.name);
    } else {
      const e = new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down');
      for (const r of reads) r.sink.reply(r.tag, e);
    }
  }

  /** The least busy in-sync replica other than `joiner`: a full resync's source. */
  pickSource(joiner: ReplicaLink): ReplicaLink | undefined {
    let best: ReplicaLink | undefined;
    for (const l of this.balancer.list()) {
      if (l === joiner || l.isClosed) continue;
      if (!best || l.inflightReads < best.inflightReads) best = l;
    }
    return best;
  }

  stop(): void {
    this.stopping = true;
  }
}
