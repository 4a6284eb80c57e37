import { KvndbError, toKvndbError, type WriteOp } from '@kvndb/shared';
import type { Answer } from '@kvndb/shared';
import type { ReplicaSet } from '../replicas/replica-set';
import type { OpsMeter } from '../requests/ops-meter';
import type { ReplySink } from '../requests/reply-sink';
import type { RouterState } from '../sync/router-state';
import type { ExpirySweeper } from './expiry-sweeper';
import type { PopWaiters } from '../blocking/pop-waiters';
import type { WriteSequencer } from './write-sequencer';

/**
 * Where client writes go: into the sequencer's total order, fanned out to the live
 * replicas, counted against the in-sync ones. The acks come back to the sequencer straight
 * from each replica link.
 */
export class WritePath {
  constructor(
    private readonly sequencer: WriteSequencer,
    private readonly replicas: ReplicaSet,
    private readonly state: RouterState,
    private readonly meter: OpsMeter,
    /** Why no replica can serve, for NO_REPLICAS errors. */
    private readonly whyNoReplicas: () => string,
    private readonly sweeper: ExpirySweeper,
    /** Blocking pops: they see every write while one waits. */
    private readonly waiters: PopWaiters,
  ) {}

  write(ops: WriteOp[], shape: Answer, sink: ReplySink, tag: number): void {
    this.meter.writes++;
    const replicas = this.replicas;
    if (replicas.inSyncIds.length === 0) {
      sink.reply(tag, KvndbError.noReplicas(this.whyNoReplicas()));
      return;
    }
    // Once per membership change: the first write under it is recorded before it is sent.
    if (this.state.newestUnused) this.state.markNewestUsed();
    try {
      this.sequencer.sequence(ops, replicas.live, replicas.inSyncIds, shape, sink, tag);
      this.sweeper.noteWrite(ops, this.sequencer.lastTime);
      // One comparison while no pop waits.
      if (this.waiters.size > 0) this.waiters.written(ops);
    } catch (err) {
      // Encoding failed (TOO_LARGE) before the write got a seq: nothing was sent.
      sink.reply(tag, toKvndbError(err));
    }
  }
}
