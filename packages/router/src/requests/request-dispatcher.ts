import {
  COMMANDS_BY_OP,
  ErrorCode,
  KvndbError,
  Op,
  toKvndbError,
  type Answer,
  type Limits,
  type RouterStatus,
  type WriteOp,
} from '@kvndb/shared';
import type { ReadPath } from '../reads/read-path';
import type { WritePath } from '../writes/write-path';
import type { PopWaiters } from '../blocking/pop-waiters';
import { CallbackSink, type ReplySink } from './reply-sink';
import { Door, RequestStats } from './request-stats';

/** A request the router answers itself, beyond PING, STATUS and TIME (pub/sub, streams). */
export type RouterOpHandler = (msg: unknown[], sink: ReplySink, tag: number) => void;

type Held =
  | { write: false; msg: unknown[]; sink: ReplySink; tag: number }
  | { write: true; ops: WriteOp[]; shape: Answer; sink: ReplySink; tag: number; wait?: { keys: string[]; ms: number } }
  | { write: 'stream'; msg: unknown[]; sink: ReplySink; tag: number };

/** The router-answered requests that open streams or block (changes/stream-requests.ts). */
export interface StreamExecutor {
  execute(msg: unknown[], sink: ReplySink, tag: number): void;
}

const enum Phase {
  /** The router is not started yet: NO_REPLICAS. */
  New,
  /** The startup join window is open: requests wait, nothing is failed. */
  Holding,
  Serving,
  /** The router is stopping: SHUTTING_DOWN. */
  Stopped,
}

/**
 * The one entry for requests, whatever door they came through (native client sessions,
 * the RESP server): checks a request's arguments, answers PING, STATUS and TIME itself, sends
 * reads to the read path and writes to the write path, and holds both while the startup
 * join window is open.
 */
export class RequestDispatcher {
  private phase = Phase.New;
  /** Requests held while the startup join window is open. */
  private held: Held[] = [];
  /** Router-answered requests served by other parts, by opcode. */
  private readonly routerOps: (RouterOpHandler | undefined)[] = [];
  /** Counts per door and command for /metrics (plain numbers; read at scrape time). */
  readonly stats = new RequestStats();

  constructor(
    private readonly limits: Limits,
    private readonly reads: ReadPath,
    private readonly writes: WritePath,
    private readonly status: () => RouterStatus,
    /** The router's clock (TIME answers with it): the time that stamps writes and reads. */
    private readonly now: () => number,
    /** Where writes that wait (blocking pops) are held. */
    private readonly waiters: PopWaiters,
    /** WATCH, UNWATCH, GET_WAIT, WAIT. */
    private readonly streams?: StreamExecutor,
  ) {}

  /**
   * Run one request: `msg` is the whole request message [op, id, ...args] (the id is the
   * caller's own; the RESP door sends 0). The answer goes to sink.reply(tag, ...). `door`
   * only labels the request in the metrics.
   */
  execute(msg: unknown[], sink: ReplySink, tag: number, door: Door = Door.Native): void {
    sink = this.stats.count(door, msg[0] as number, sink, tag);
    const phase = this.phase;
    if (phase !== Phase.Serving && phase !== Phase.Holding) {
      sink.reply(
        tag,
        phase === Phase.New
          ? KvndbError.noReplicas('the router is not started yet')
          : new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down'),
      );
      return;
    }
    const op = msg[0] as number;
    const command = COMMANDS_BY_OP[op];
    if (command === undefined) {
      sink.reply(tag, new KvndbError(ErrorCode.NOT_SUPPORTED, `opcode ${String(op)} is not a request the router serves`));
      return;
    }
    if (command.route === 'read') {
      let rmsg: unknown[];
      try {
        rmsg = command.toRead!(msg, this.limits);
      } catch (err) {
        sink.reply(tag, toKvndbError(err));
        return;
      }
      if (phase === Phase.Holding) this.held.push({ write: false, msg: rmsg, sink, tag });
      else this.reads.read(rmsg, sink, tag);
    } else if (command.route === 'write') {
      let ops: WriteOp[];
      let waitMs = 0;
      try {
        ops = command.toWrite!(msg, this.limits);
        if (command.waitMs !== undefined) waitMs = command.waitMs(msg);
      } catch (err) {
        sink.reply(tag, toKvndbError(err));
        return;
      }
      const shape = command.answer!;
      const wait = waitMs !== 0 ? { keys: command.waitKeys!(msg), ms: waitMs } : undefined;
      if (phase === Phase.Holding) this.held.push({ write: true, ops, shape, sink, tag, wait });
      else if (wait !== undefined) this.waiters.pop(ops[0], wait.keys, wait.ms, sink, tag);
      else this.writes.write(ops, shape, sink, tag);
    } else if (this.routerOps[op] !== undefined) {
      this.routerOps[op]!(msg, sink, tag);
    } else if (op === Op.STATUS) {
      sink.reply(tag, null, this.status());
    } else if (op === Op.TIME) {
      sink.reply(tag, null, this.now());
    } else if (op === Op.PING) {
      sink.reply(tag, null, 'PONG');
    } else if (phase === Phase.Holding) {
      this.held.push({ write: 'stream', msg, sink, tag });
    } else {
      this.runStream(msg, sink, tag);
    }
  }

  private runStream(msg: unknown[], sink: ReplySink, tag: number): void {
    if (!this.streams) {
      sink.reply(tag, new KvndbError(ErrorCode.NOT_SUPPORTED, `opcode ${String(msg[0])} is not a request this router serves`));
      return;
    }
    try {
      this.streams.execute(msg, sink, tag);
    } catch (err) {
      sink.reply(tag, toKvndbError(err));
    }
  }

  /** Run request `op` with `args` (the fields after the id) and call `done` with its answer. */
  dispatch(op: number, args: unknown[], done: (err: KvndbError | null, value?: unknown) => void, door: Door = Door.Native): void {
    this.execute([op, 0, ...args], new CallbackSink(done), 0, door);
  }

  /** Let `handler` answer router-answered request `op` (it runs at once, also in the join window). */
  serveOp(op: number, handler: RouterOpHandler): void {
    if (this.routerOps[op] !== undefined) throw new Error(`opcode ${op} is served twice`);
    this.routerOps[op] = handler;
  }

  /** The router started: hold requests until release(). */
  hold(): void {
    if (this.phase === Phase.New) this.phase = Phase.Holding;
  }

  /** The join window closed: serve, the held requests first, in the order they came. */
  release(): void {
    if (this.phase !== Phase.Holding) return;
    this.phase = Phase.Serving;
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (h.write === 'stream') this.runStream(h.msg, h.sink, h.tag);
      else if (h.write && h.wait !== undefined) this.waiters.pop(h.ops[0], h.wait.keys, h.wait.ms, h.sink, h.tag);
      else if (h.write) this.writes.write(h.ops, h.shape, h.sink, h.tag);
      else this.reads.read(h.msg, h.sink, h.tag);
    }
  }

  /** Router stopping: fail held requests with `err`, and every request from now on. */
  stop(err: KvndbError): void {
    this.phase = Phase.Stopped;
    this.waiters.stop(err);
    const held = this.held;
    this.held = [];
    for (const h of held) h.sink.reply(h.tag, err);
  }
}
