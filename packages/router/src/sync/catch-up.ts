import { Op } from '@kvndb/shared';
import type { ReplicaLink } from '../replicas/replica-link';
import type { WriteBacklog } from '../writes/write-backlog';

/**
 * Incremental catch-up: a replica that holds every write up to some seq gets the rest from
 * the write backlog and is then in sync. Placement uses it for a returning replica, the
 * full resync for the writes sequenced while its snapshot streamed.
 */
export class CatchUp {
  constructor(
    /** The router's write position (the write sequencer). */
    private readonly position: { readonly epoch: number; readonly seq: number },
    private readonly backlog: WriteBacklog,
  ) {}

  /** Whether the backlog still holds every write after `seq`. */
  canCatchUp(seq: number): boolean {
    return this.backlog.canCatchUp(seq);
  }

  /** The oldest write the backlog still holds. */
  get firstSeq(): number {
    return this.backlog.firstSeq;
  }

  /**
   * Queue every backlog write after `fromSeq` to `link`, send SYNC_DONE and mark it in
   * sync, all synchronously. False when the backlog no longer holds fromSeq + 1.
   */
  finishSync(link: ReplicaLink, fromSeq: number): boolean {
    if (link.isClosed) return true;
    if (!this.backlog.canCatchUp(fromSeq)) return false;
    this.backlog.forEachAfter(fromSeq, (frame) => link.sendFrame(frame));
    link.epoch = this.position.epoch;
    if (link.ackedSeq < fromSeq) link.ackedSeq = fromSeq;
    // SYNC_DONE before the state change: becoming in sync may make it a resync source at once.
    link.send([Op.SYNC_DONE, this.position.epoch, this.position.seq]);
    link.setState('in-sync');
    link.checkPressure();
    return true;
  }
}
