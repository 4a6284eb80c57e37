import { performance } from 'node:perf_hooks';
import { ErrorCode, KvndbError, OP_NAMES } from '@kvndb/shared';
import { CommandTable } from './command-table';

/** Where a command is: waiting for a connection, written to one, or finished. */
export const CommandState = {
  WAITING: 0,
  SENT: 1,
  DONE: 2,
} as const;
export type CommandState = (typeof CommandState)[keyof typeof CommandState];

/**
 * One request. The frame is encoded once, when the request is made, and the same bytes are
 * written again if a read has to be re-sent after a reconnect (ids are per connection, so
 * reusing the id is safe). `decode` is the command method's own function (shared by every
 * call, not a closure per request) turning the answer into the value the method promises.
 */
export class Command {
  state: CommandState = CommandState.WAITING;
  resolve: (value: unknown) => void = noop;
  reject: (err: Error) => void = noop;

  constructor(
    readonly id: number,
    readonly op: number,
    readonly decode: (value: unknown) => unknown,
    readonly frame: Buffer,
    /** Reads are idempotent and may be re-sent after a reconnect; writes may not. */
    readonly retryable: boolean,
    /** performance.now() after which the request fails with TIMEOUT. */
    readonly deadline: number,
  ) {}
}

function noop(): void {}

export interface CommandQueueOptions {
  timeoutMs: number;
  /** How many requests may wait while there is no connection. */
  maxQueued: number;
}

/**
 * Every request the client has not finished, in one place (after node-redis's
 * commands-queue): `pending` finds commands by id and keeps them in creation order
 * (command-table.ts); `waiting` lists the commands that still have to be written because
 * there was no connection.
 *
 * Every request has the same timeout, so creation order is deadline order: one timer armed
 * for the oldest deadline replaces a timer per request. When it fires it expires every
 * command that is due and re-arms for the next one.
 */
export class CommandQueue {
  private readonly pending = new CommandTable();
  /**
   * Requests the router may hold for a while (blocking pops): each has its own timer for its
   * wait plus the request timeout, outside `pending`, whose one timer relies on every
   * deadline being creation time + timeoutMs.
   */
  private readonly blocking = new Map<number, { cmd: Command; timer: NodeJS.Timeout }>();
  private waiting: Command[] = [];
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 0;

  constructor(options: CommandQueueOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxQueued = options.maxQueued;
  }

  /** Requests not yet answered (waiting or in flight). */
  get size(): number {
    return this.pending.size + this.blocking.size;
  }

  /** Requests waiting for a connection. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** The next request id: a positive integer below 2^31, skipping ids still in use. */
  allocateId(): number {
    do {
      if (this.nextId >= 0x7fffffff) {
        this.nextId = 1;
        this.pending.wrap();
      } else {
        this.nextId++;
      }
    } while (this.pending.has(this.nextId) || this.blocking.has(this.nextId));
    return this.nextId;
  }

  deadline(): number {
    return performance.now() + this.timeoutMs;
  }

  /** Track a command that is being written to the connection now. */
  addSent(cmd: Command): void {
    cmd.state = CommandState.SENT;
    this.track(cmd);
  }

  /**
   * Track a request the router may hold up to `waitMs` (-1: forever) before answering: it
   * times out `waitMs` + the request timeout after now. Sent at once: a blocking pop is a
   * write, which waits for no reconnection.
   */
  addBlocking(cmd: Command, waitMs: number): void {
    cmd.state = CommandState.SENT;
    const id = cmd.id;
    const timer = setTimeout(() => {
      if (this.blocking.get(id)?.cmd !== cmd) return;
      this.blocking.delete(id);
      cmd.state = CommandState.DONE;
      cmd.reject(KvndbError.timeout(`${opName(cmd.op)} request timed out after waiting ${waitMs} ms and ${this.timeoutMs} ms more`, { op: opName(cmd.op), waitMs, timeoutMs: this.timeoutMs }));
    }, waitMs < 0 ? 2 ** 31 - 1 : Math.min(2 ** 31 - 1, waitMs + this.timeoutMs));
    // A pop waiting forever must not keep the process alive by itself.
    if (waitMs < 0) timer.unref();
    this.blocking.set(id, { cmd, timer });
  }

  /** Track a command that must wait for a connection; TOO_MANY_REQUESTS past maxQueued. */
  addWaiting(cmd: Command): void {
    if (this.waiting.length >= this.maxQueued) {
      throw new KvndbError(
        ErrorCode.TOO_MANY_REQUESTS,
        `not connected and ${this.waiting.length} requests are already waiting (maxQueued ${this.maxQueued})`,
        { details: { queued: this.waiting.length, limit: this.maxQueued } },
      );
    }
    cmd.state = CommandState.WAITING;
    this.waiting.push(cmd);
    this.track(cmd);
  }

  /** Hand over every waiting command for writing (oldest first) and mark them sent. */
  takeWaiting(): Command[] {
    const list = this.waiting;
    this.waiting = [];
    for (const cmd of list) cmd.state = CommandState.SENT;
    return list;
  }

  /** Remove and return the command an answer belongs to; undefined for an unknown or expired id. */
  settle(id: unknown): Command | undefined {
    if (typeof id !== 'number') return undefined;
    if (this.blocking.size > 0) {
      const b = this.blocking.get(id);
      if (b !== undefined) {
        this.blocking.delete(id);
        clearTimeout(b.timer);
        b.cmd.state = CommandState.DONE;
        return b.cmd;
      }
    }
    const cmd = this.pending.get(id);
    if (cmd === undefined || cmd.state !== CommandState.SENT) return undefined;
    this.pending.delete(cmd);
    cmd.state = CommandState.DONE;
    return cmd;
  }

  /**
   * The connection went away. Reads in flight go back to the front of the waiting list to
   * be re-sent; writes fail, because the router may or may not have applied them.
   */
  connectionLost(cause: KvndbError | undefined): void {
    this.failBlocking(() =>
      KvndbError.connectionClosed(`connection lost during a blocking pop; it may or may not have removed a value`, cause),
    );
    const resend: Command[] = [];
    for (const cmd of this.pending.values()) {
      if (cmd.state !== CommandState.SENT) continue;
      if (cmd.retryable) {
        cmd.state = CommandState.WAITING;
        resend.push(cmd);
      } else {
        this.pending.delete(cmd);
        cmd.state = CommandState.DONE;
        cmd.reject(
          KvndbError.connectionClosed(
            `connection lost during ${opName(cmd.op)}; the write may or may not have been applied`,
            cause,
          ),
        );
      }
    }
    if (resend.length > 0) this.waiting = this.waiting.length === 0 ? resend : resend.concat(this.waiting);
    if (this.pending.size === 0) this.clearTimer();
  }

  /** Fail every request, waiting or in flight, with one error. */
  flushAll(err: Error): void {
    this.failBlocking(() => err);
    this.clearTimer();
    const all = this.pending.values();
    this.pending.clear();
    this.waiting = [];
    for (const cmd of all) {
      cmd.state = CommandState.DONE;
      cmd.reject(err);
    }
  }

  private failBlocking(err: () => Error): void {
    if (this.blocking.size === 0) return;
    const all = [...this.blocking.values()];
    this.blocking.clear();
    for (const { cmd, timer } of all) {
      clearTimeout(timer);
      cmd.state = CommandState.DONE;
      cmd.reject(err());
    }
  }

  private track(cmd: Command): void {
    this.pending.add(cmd);
    if (this.timer === null) this.arm(this.timeoutMs);
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(delayMs)));
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly sweep = (): void => {
    this.timer = null;
    const now = performance.now();
    let expiredWaiting = false;
    let cmd: Command | undefined;
    while ((cmd = this.pending.oldest()) !== undefined) {
      if (cmd.deadline > now) {
        this.arm(cmd.deadline - now);
        break;
      }
      this.pending.delete(cmd);
      const where = cmd.state === CommandState.WAITING ? ' while waiting for a connection' : '';
      if (cmd.state === CommandState.WAITING) expiredWaiting = true;
      cmd.state = CommandState.DONE;
      cmd.reject(
        KvndbError.timeout(`${opName(cmd.op)} request timed out after ${this.timeoutMs} ms${where}`, {
          op: opName(cmd.op),
          timeoutMs: this.timeoutMs,
        }),
      );
    }
    if (expiredWaiting) this.waiting = this.waiting.filter((c) => c.state === CommandState.WAITING);
  };
}

function opName(op: number): string {
  return OP_NAMES[op] ?? `op ${op}`;
}
