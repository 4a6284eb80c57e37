import { Op, toKvndbError, type Logger } from '@kvndb/shared';
import { Answer } from '@kvndb/shared';
import type { ReplicaLink } from '../replicas/replica-link';
import type { ReplicaSet } from '../replicas/replica-set';
import type { WriteAckPolicy, WriteSequencer } from '../writes/write-sequencer';
import { allMembersPresent, planAdoption } from './adoption';
import type { CatchUp } from './catch-up';
import type { ResyncCoordinator } from './full-resync';
import { describeConflict, lineage } from './history';
import { JoinWindow, chooseSource } from './join-window';
import type { RouterState } from './router-state';

export interface PlacementOptions {
  writeAck: WriteAckPolicy;
  /** Adopt a source even when the remembered history says it lacks acknowledged writes. */
  acceptDataLoss: boolean;
  joinWindowMs: number;
  expectReplicas: number | undefined;
  logger: Logger;
  /** The startup join window closed (a source adopted or not): requests may be served now. */
  onWindowClosed: () => void;
}

/**
 * Where each joining replica goes, and the resync decision. At startup the join window
 * collects replicas and one of them is adopted as the source of truth (adoption.ts says
 * which the remembered history allows). After that, a joining replica is caught up from
 * the backlog when it can be (catch-up.ts), else gets a full resync (full-resync.ts); a
 * replica holding writes this history lacks is held out of service, never resynced. The
 * in-sync membership is recorded in the router state before any write counts under it.
 */
export class Placement {
  private readonly joinWindow: JoinWindow<ReplicaLink>;
  private adopted = false;
  /** Replicas that joined after the join window, while no source could be adopted yet. */
  private candidates: ReplicaLink[] = [];
  /** Why the router cannot adopt a source yet (status and NO_REPLICAS say it). */
  private waiting: string | undefined;
  private maxEpochSeen: number;
  private stopped = false;

  constructor(
    private readonly replicas: ReplicaSet,
    private readonly state: RouterState,
    private readonly sequencer: WriteSequencer,
    private readonly catchUp: CatchUp,
    private readonly resync: ResyncCoordinator,
    private readonly options: PlacementOptions,
  ) {
    this.maxEpochSeen = state.lastEpoch;
    this.joinWindow = new JoinWindow<ReplicaLink>(options.joinWindowMs, options.expectReplicas, (joiners) =>
      this.joinWindowClosed(joiners),
    );
  }

  /** Why the router cannot adopt a source yet, if it cannot. */
  get waitingFor(): string | undefined {
    return this.waiting;
  }

  /** Open the startup join window. */
  open(): void {
    const state = this.state;
    if (state.file) {
      this.options.logger.info(
        state.loaded && state.history.length > 0
          ? `router state ${state.file}: last epoch ${state.lastEpoch}; replicas in sync when it was saved: ${state.memberships.map((m) => m.members.join(', ')).join(' / ') || 'none'}`
          : `router state ${state.file}: new; this router has served no history yet`,
      );
    }
    this.joinWindow.open();
  }

  /** Router stopping: nothing more is adopted, placed or recorded. */
  stop(): void {
    this.stopped = true;
    this.joinWindow.stop();
  }

  /** Replica set 'joined'. */
  joined(link: ReplicaLink): void {
    if (link.hello.epoch > this.maxEpochSeen) this.maxEpochSeen = link.hello.epoch;
    try {
      if (this.joinWindow.isOpen) {
        this.joinWindow.add(link);
        this.closeWindowEarly();
      } else if (!this.adopted) {
        this.candidates.push(link);
        this.tryAdopt();
      } else {
        this.place(link);
      }
    } catch (err) {
      this.options.logger.error(`placing replica ${link.name} failed: ${(err as Error).stack ?? String(err)}`);
      link.close(toKvndbError(err));
    }
  }

  /** Replica set 'gone'. */
  linkGone(link: ReplicaLink): void {
    this.joinWindow.remove(link);
    this.candidates = this.candidates.filter((c) => c !== link);
  }

  /**
   * Replica set 'membership': saved before any write is counted under the new set (see
   * adoption.ts). A router that is stopping sequences nothing more, so replicas leaving at
   * its shutdown change nothing.
   */
  recordMembership(): void {
    if (this.adopted && !this.stopped) this.state.membershipChanged(this.replicas.inSyncNames(), this.sequencer.seq + 1);
  }

  /** About once a second: let the state drop what acknowledged writes made obsolete. */
  settle(): void {
    if (this.adopted) this.state.settle(this.sequencer.lastAckedSeq, this.replicas.floors());
  }

  /** Why no request can be served right now, and what would change that: for NO_REPLICAS errors. */
  whyNoReplicas(): string {
    if (!this.adopted) {
      return this.waiting ?? 'no replica has joined yet; the first replica to join becomes the source of truth';
    }
    const parts: string[] = [];
    for (const l of this.replicas.values()) {
      if (l.state === 'diverged') parts.push(`${l.name} is out of service: ${l.conflict ?? 'diverged'}`);
      else if (l.state === 'syncing') {
        parts.push(
          this.resync.isWaiting(l)
            ? `${l.name} needs a full resync but no replica in sync holds the data to copy from (if every copy is lost, restart the router with --accept-data-loss)`
            : `${l.name} is resyncing`,
        );
      } else if (l.state === 'lagging') parts.push(`${l.name} is lagging (too far behind to serve)`);
      else if (l.state === 'joining') parts.push(`${l.name} is joining`);
    }
    return parts.length > 0 ? `no replica is in sync: ${parts.join('; ')}` : 'no replica is connected';
  }

  /**
   * Once every replica the remembered memberships name has joined, and they are enough to
   * adopt from, the rest of the window only delays service.
   */
  private closeWindowEarly(): void {
    if (this.state.memberships.length === 0) return;
    const joiners = this.joinWindow.members.filter((j) => !j.isClosed);
    if (!allMembersPresent(joiners, this.state)) return;
    if (planAdoption(joiners, this.state, this.options.writeAck).ready) this.joinWindow.close();
  }

  private joinWindowClosed(joiners: ReplicaLink[]): void {
    this.candidates = joiners.filter((j) => !j.isClosed);
    this.tryAdopt();
    this.options.onWindowClosed();
  }

  /**
   * Adopt a source among the candidates if the remembered history allows it (see
   * adoption.ts); otherwise say what the router waits for, and serve nothing meanwhile.
   */
  private tryAdopt(): void {
    const candidates = this.candidates.filter((j) => !j.isClosed);
    const plan = planAdoption(candidates, this.state, this.options.writeAck);
    const logger = this.options.logger;
    if (plan.ready) {
      if (!plan.source) {
        logger.info('join window closed with no replica; the first replica to join becomes the source of truth');
        return;
      }
      this.candidates = [];
      this.adopt(plan.source, candidates);
      return;
    }
    if (this.options.acceptDataLoss && candidates.length > 0) {
      const source = chooseSource(candidates)!;
      logger.error(
        `--accept-data-loss: adopting ${source.name} although the router's history says: ${plan.waitingFor}. Acknowledged writes it lacks are lost`,
      );
      this.candidates = [];
      this.adopt(source, candidates);
      return;
    }
    if (plan.waitingFor !== this.waiting) {
      this.waiting = plan.waitingFor;
      logger.error(
        `not serving: ${plan.waitingFor}. Start those replicas with their data; if their data is lost for good, restart the router with --accept-data-loss (the writes only they held are lost)`,
      );
    }
  }

  /**
   * Make `source`'s position the router's: a new epoch starts after its seq, saved in the
   * router's state first and announced by an empty WRITE (epoch marker). Joiners at exactly
   * the same position are in sync at once; those behind it in the history get a full
   * resync; those holding writes the new history lacks are left out of service.
   */
  private adopt(source: ReplicaLink, joiners: readonly ReplicaLink[]): void {
    const h = source.hello;
    const s = h.reset ? 0 : h.seq;
    // Seconds, not milliseconds: fits a MessagePack uint32 (until 2106), so every language reads an integer.
    const epoch = Math.max(Math.floor(Date.now() / 1000), this.maxEpochSeen + 1);
    this.maxEpochSeen = epoch;
    const same = joiners.filter(
      (j) => j === source || (!h.reset && !j.hello.reset && j.hello.epoch === h.epoch && j.hello.seq === h.seq),
    );
    // A source from a history this router never recorded: its epoch ends where the new one begins.
    const before = s > 0 && !this.state.history.some((e) => e.epoch === h.epoch) ? { epoch: h.epoch, afterSeq: -1 } : undefined;
    this.state.startEpoch(
      { epoch, afterSeq: s },
      same.map((j) => j.name),
      Object.fromEntries(same.map((j) => [j.name, s])),
      before,
    );
    this.sequencer.startEpoch(epoch, s);
    this.adopted = true;
    this.waiting = undefined;
    this.options.logger.info(
      `adopting ${source.name} (epoch ${h.epoch} seq ${h.seq}${h.reset ? ', reset' : ''}) as the source of truth; epoch ${epoch} starts after seq ${s}`,
    );
    for (const j of same) {
      if (h.reset) {
        // It wiped its store: an empty snapshot at seq 0 tells it so in protocol terms.
        j.send([Op.SYNC_START, 'full', epoch, s, { resyncId: 0, source: null }]);
        j.send([Op.SNAPSHOT_END, 0, 0]);
      } else {
        j.send([Op.SYNC_START, 'incremental', epoch, s, {}]);
      }
      j.epoch = epoch;
      j.ackedSeq = s;
      j.setState('in-sync');
    }
    this.sequencer.sequence([], this.replicas.live, this.replicas.inSyncIds, Answer.Nil, null, 0);
    for (const j of same) j.send([Op.SYNC_DONE, epoch, this.sequencer.seq]);
    for (const j of joiners) {
      if (same.includes(j) || j.isClosed) continue;
      if (j.hello.reset) this.resync.start(j, 'reset requested');
      else if (!this.holdIfConflicting(j)) this.resync.start(j, `startup: its position differs from ${source.name}'s`);
    }
  }

  /** A replica joining after the router adopted a source: catch-up from the backlog when possible, else full resync. */
  private place(link: ReplicaLink): void {
    const h = link.hello;
    const epoch = this.sequencer.epoch;
    const seq = this.sequencer.seq;
    if (h.reset) {
      this.resync.start(link, 'reset requested');
      return;
    }
    if (this.holdIfConflicting(link)) return;
    if (h.epoch === epoch && this.catchUp.canCatchUp(h.seq)) {
      link.send([Op.SYNC_START, 'incremental', epoch, h.seq, {}]);
      this.options.logger.info(`incremental catch-up of ${link.name}: writes ${h.seq + 1} to ${seq} from the backlog`);
      this.catchUp.finishSync(link, h.seq);
      return;
    }
    const reason =
      h.epoch !== epoch
        ? `it is at epoch ${h.epoch} seq ${h.seq}, the router at epoch ${epoch}`
        : `seq ${h.seq} is older than the backlog (which starts at ${this.catchUp.firstSeq})`;
    this.resync.start(link, reason);
  }

  /**
   * A replica whose writes are not all in the router's history (ahead of it, or from an
   * epoch it does not know) is never resynced: that would discard them. It stays
   * connected and out of service, reported in status, until its operator decides
   * (restart it with --reset to take this history, or make it the source).
   */
  private holdIfConflicting(link: ReplicaLink): boolean {
    const kind = lineage(link.hello, this.state.history, this.sequencer.seq);
    if (kind === 'empty' || kind === 'prefix') return false;
    const conflict = describeConflict(link.name, link.hello, kind, this.state.history);
    link.conflict = conflict;
    link.setState('diverged');
    this.options.logger.error(
      `replica ${conflict}. It stays out of service and keeps its data. To discard its data and resync it, restart it with --reset; to keep its data instead, see "Recovery" in docs/ARCHITECTURE.md`,
    );
    return true;
  }
}
