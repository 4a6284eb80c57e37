import type { RouterClock } from '../router-clock';
import {
  ErrorCode,
  KvndbError,
  heartbeatRound,
  toKvndbError,
  type FramedConnection,
  type Logger,
  type ReplicaHelloInfo,
  type ReplicaState,
} from '@kvndb/shared';
import { ReplicaLink, type LinkReceivers, type Watermarks } from './replica-link';

/** What the replica set tells its subscribers. Listeners run in the order they subscribed. */
export interface ReplicaSetEvents {
  /** A replica finished its handshake (state 'joining'). */
  joined: (link: ReplicaLink) => void;
  /** `live` / `inSyncIds` changed; runs before that change's 'state' or 'gone' listeners. */
  membership: () => void;
  /** A replica changed state ('in-sync', 'lagging', 'syncing', 'diverged'). */
  state: (link: ReplicaLink, previous: ReplicaState) => void;
  /** A replica disconnected; it is no longer in the set. */
  gone: (link: ReplicaLink, err: KvndbError | undefined) => void;
}

type Listeners = { [K in keyof ReplicaSetEvents]: Array<ReplicaSetEvents[K]> };

/**
 * The connected replicas by id, and who of them receives writes (`live`: in sync or
 * lagging) and whose acks count (`inSyncIds`). Both arrays are replaced, never mutated, on
 * change, so a write fan-out in progress is never disturbed. The balancer, placement, the
 * sequencer and the full resync react to its events; the set itself only keeps membership,
 * liveness (heartbeat) and per-link housekeeping.
 */
export class ReplicaSet {
  private readonly links = new Map<number, ReplicaLink>();
  /** Replicas that receive writes (in sync or lagging). */
  live: readonly ReplicaLink[] = [];
  /** Ids of in-sync replicas: whose acks count for a write sequenced now. */
  inSyncIds: readonly number[] = [];
  private readonly listeners: Listeners = { joined: [], membership: [], state: [], gone: [] };
  private readonly receivers: LinkReceivers;

  constructor(
    acks: LinkReceivers['acks'],
    snapshots: LinkReceivers['snapshots'],
    private readonly watermarks: Watermarks,
    private readonly logger: Logger,
    private readonly clock: RouterClock,
  ) {
    this.receivers = { acks, snapshots, stateChanged: (link, previous) => this.stateChanged(link, previous) };
  }

  on<K extends keyof ReplicaSetEvents>(event: K, listener: ReplicaSetEvents[K]): void {
    (this.listeners[event] as Array<ReplicaSetEvents[K]>).push(listener);
  }

  get size(): number {
    return this.links.size;
  }

  values(): IterableIterator<ReplicaLink> {
    return this.links.values();
  }

  /** Names of the in-sync replicas. */
  inSyncNames(): string[] {
    const names: string[] = [];
    for (const l of this.live) if (l.state === 'in-sync') names.push(l.name);
    return names;
  }

  /** What each in-sync replica has acknowledged, for the router state's floors. */
  *floors(): Iterable<[string, number]> {
    for (const l of this.links.values()) if (l.state === 'in-sync') yield [l.name, l.ackedSeq];
  }

  /** A replica passed the handshake: it joins the set as 'joining'. */
  add(id: number, conn: FramedConnection, info: ReplicaHelloInfo): ReplicaLink {
    // The clock never gives out less than a time this replica already applied a write at.
    if (typeof info.time === 'number') this.clock.atLeast(info.time);
    const link = new ReplicaLink(id, conn, info, this.receivers, this.watermarks, this.logger, this.clock);
    this.links.set(link.id, link);
    conn.onMessage = (msg) => this.onMessage(link, msg);
    conn.once('close', (err?: KvndbError) => this.linkClosed(link, err));
    this.logger.info(
      `replica ${link.name} joined from ${link.address} at epoch ${info.epoch} seq ${info.seq}${info.reset ? ' asking for a reset' : ''}`,
    );
    for (const fn of this.listeners.joined) fn(link);
    return link;
  }

  /** About once a second: time out unanswered reads, re-check each link's buffer. */
  tick(now: number): void {
    for (const l of this.links.values()) {
      l.expireReads(now);
      l.checkPressure();
    }
  }

  /**
   * PING replicas this router has been quiet towards; drop the ones it heard nothing from for
   * HEARTBEAT_MISSES intervals (replicas PING too when quiet, even while receiving one large
   * frame for a long time, so silence means a frozen process or a dead path).
   */
  heartbeat(now: number, heartbeatMs: number): void {
    for (const l of this.links.values()) {
      if (l.isClosed) continue;
      const silentFor = heartbeatRound(l.conn, now, heartbeatMs);
      if (silentFor === null) continue;
      this.logger.warn(
        `replica ${l.name} (${l.address}) sent nothing for ${silentFor} ms (heartbeat ${heartbeatMs} ms): dropping it; it resyncs when it reconnects`,
      );
      l.close(KvndbError.timeout(`replica ${l.name} sent nothing for ${silentFor} ms`));
    }
  }

  /** Router stopping: answer every read still outstanding on a replica with `err`. */
  failReads(err: KvndbError): void {
    for (const l of this.links.values()) for (const r of l.takeOutstanding()) r.sink.reply(r.tag, err);
  }

  /** Router stopping: tell every replica why and close. */
  closeAll(err: KvndbError): void {
    for (const l of this.links.values()) l.conn.sendErrorAndClose(err);
  }

  private onMessage(link: ReplicaLink, msg: unknown): void {
    try {
      link.handle(msg);
    } catch (err) {
      const e = toKvndbError(err);
      if (e.code === ErrorCode.PROTOCOL_ERROR) {
        this.logger.warn(`protocol error from replica ${link.name}: ${e.message}`);
        link.conn.sendErrorAndClose(e);
      } else {
        this.logger.error(`replica ${link.name}: ${(err as Error).stack ?? String(err)}`);
        link.conn.sendErrorAndClose(new KvndbError(ErrorCode.INTERNAL, `internal error: ${e.message}`, { cause: err }));
      }
    }
  }

  private stateChanged(link: ReplicaLink, previous: ReplicaState): void {
    this.refreshMembership();
    this.logger.debug(`replica ${link.name}: ${previous} -> ${link.state}`);
    for (const fn of this.listeners.state) fn(link, previous);
  }

  private linkClosed(link: ReplicaLink, err: KvndbError | undefined): void {
    if (!this.links.delete(link.id)) return;
    this.refreshMembership();
    this.logger.info(`replica ${link.name} (${link.address}) disconnected${err ? `: ${err.message}` : ''}`);
    for (const fn of this.listeners.gone) fn(link, err);
  }

  private refreshMembership(): void {
    const live: ReplicaLink[] = [];
    const ids: number[] = [];
    for (const l of this.links.values()) {
      if (!l.live) continue;
      live.push(l);
      if (l.state === 'in-sync') ids.push(l.id);
    }
    this.live = live;
    this.inSyncIds = ids;
    for (const fn of this.listeners.membership) fn();
  }
}
