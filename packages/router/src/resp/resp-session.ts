import type net from 'node:net';
import { describeAddress, Op, StreamCloser, type RouterStatus } from '@kvndb/shared';
import { CallbackSink, type ReplySink } from '../requests/reply-sink';
import { Door } from '../requests/request-stats';
import { RespParser } from './resp-parser';
import * as R from './resp-encoder';
import { ReplyQueue, SHAPE_BULK, SHAPE_DONE, SHAPE_RESP3, SHAPE_SET } from './reply-queue';
import type { RespServer } from './resp-server';
import { RESP_COMMANDS, keyIn, wrongArity, type Done, type RespCommand } from './commands';
import { TransactionState } from './transaction';
import { RespSubscriber, type PushTarget } from './resp-subscriber';

/**
 * Before AUTH (with a password set), as Redis does since CVE-2021-32675: a command may have
 * at most 10 arguments of at most 16384 bytes, so an unauthenticated connection can make
 * the router buffer about 160 KiB (plus the 64 KiB inline limit), never --max-value.
 */
export const PRE_AUTH_MAX_ARGS = 10;
export const PRE_AUTH_MAX_BULK_BYTES = 16384;
/** A native kvndb client on this port: the first byte of its HELLO frame's length prefix is 0. */
const QUEUED = Buffer.from('+QUEUED\r\n');
/** How long a subscriber cut off for not reading has to read up to the reason before it is hung up on. */
const CUT_OFF_GRACE_MS = 10_000;
/** Commands whose name in errors is `name|subcommand`, as Redis names them. */
const WITH_SUBCOMMANDS = new Set(['config', 'client', 'command', 'pubsub']);
const NATIVE_ON_RESP_PORT =
  "this is kvndb's Redis-protocol (RESP) port; native kvndb clients (@kvndb/client, kvndb cmd, replicas) connect to the router's main port";

/**
 * One RESP connection: parses its commands, keeps its login state and timeouts, runs each
 * command's handler (commands/) and closes. Replies go through a ReplyQueue, which keeps
 * them in request order. GET and SET, the commands every benchmark and cache hammers, skip
 * the handler table: the parser hands over the key's bytes, and the queue itself is the
 * router's ReplySink (the slot number is the tag), so a request allocates no callbacks.
 * Every request reaches the router through execute().
 */
export class RespSession implements PushTarget {
  authed: boolean;
  /** CLIENT ID, HELLO's id: unique among this door's connections, never reused. */
  readonly id: number;
  /** RESP2 until HELLO 3. Commands read it as they run; their replies use what they read. */
  proto: R.Proto = 2;
  /** CLIENT SETNAME / HELLO ... SETNAME; '' = none. */
  name = '';
  /** CLIENT SETINFO LIB-NAME / LIB-VER, shown by CLIENT INFO and LIST. */
  libName = '';
  libVer = '';
  /** The last command's name, for CLIENT LIST's cmd= (the fast path leaves it alone). */
  lastCommand = 'NULL';
  /** MULTI's queue and WATCH's versions. */
  readonly txn = new TransactionState();
  /** Its channels and patterns, once it subscribed to any (SUBSCRIBE, PSUBSCRIBE). */
  private subscriber: RespSubscriber | null = null;
  /** Commands that arrived while an EXEC waits for its WATCH reads, run once it is sent (hold()). */
  private held: Buffer[][] | null = null;
  /** The fast path's reply shapes, RESP3's nil included once HELLO 3 switched. */
  private getShape = SHAPE_BULK;
  private setShape = SHAPE_SET;
  private readonly parser: RespParser;
  private readonly replies: ReplyQueue;
  /**
   * Closing after an error or QUIT: input dropped, then not read, the socket ended after the
   * last reply and destroyed a grace period later (its timer unref'd: the listener keeps
   * the process up, a closing connection need not).
   */
  private readonly closer: StreamCloser;
  private firstChunk = true;
  readonly address: string;
  readonly openedAt = Date.now();
  /** Commands received, and the count and time at the last timeout check that saw it move. */
  private commands = 0;
  private commandsAtCheck = 0;
  private activeAt = Date.now();
  /** When the unfinished command now in the parser started arriving (0 = none). */
  private partialSince = 0;

  constructor(readonly server: RespServer, readonly socket: net.Socket, id: number) {
    this.id = id;
    this.authed = !server.options.password;
    this.address = describeAddress(socket);
    this.closer = new StreamCloser(socket, { unref: true });
    this.replies = new ReplyQueue(socket, this.closer, (err) => server.backend.stats?.error(Door.Resp, err));
    this.parser = new RespParser({
      maxBulkBytes: server.limits.maxValueBytes,
      maxArgs: 1024 * 1024,
      maxInlineBytes: 64 * 1024,
      preLogin: this.authed ? undefined : { maxArgs: PRE_AUTH_MAX_ARGS, maxBulkBytes: PRE_AUTH_MAX_BULK_BYTES },
      onCommand: (args) => this.command(args),
      onGet: (data, start, end) => this.fastGetOrSet(data, start, end, undefined),
      onSet: (data, start, end, value) => this.fastGetOrSet(data, start, end, value),
      // The stream can no longer be trusted: answer in turn, after every earlier reply (as
      // Redis does), then close; nothing after the error is read (the parser has stopped).
      onError: (message) => {
        if (this.replies.closing) return; // after QUIT nothing more is answered
        this.errorThenClose(message);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      // Once closing nothing more is parsed (stream-closer.ts says what happens instead).
      if (this.closer.closing) return this.closer.drop(chunk);
      if (this.firstChunk) {
        this.firstChunk = false;
        if (chunk[0] === 0) {
          this.server.logger.warn(`RESP client ${this.address}: sent a native kvndb frame to the RESP port: closing it`);
          this.errorThenClose(NATIVE_ON_RESP_PORT);
          return;
        }
      }
      this.parser.write(chunk);
      if (this.parser.bufferedBytes === 0) this.partialSince = 0;
      else if (this.partialSince === 0) this.partialSince = Date.now();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.subscriber !== null) this.server.backend.pubsub.unsubscribeAll(this.subscriber);
    });
  }

  // ---- pub/sub ---------------------------------------------------------------------------

  /** This connection as a subscriber (created on its first SUBSCRIBE or PSUBSCRIBE). */
  get subscriptions(): RespSubscriber {
    return (this.subscriber ??= new RespSubscriber(this.server.backend.pubsub, this));
  }

  /** Channels plus patterns subscribed to: above 0 a RESP2 connection is in subscribed mode. */
  get subscriptionCount(): number {
    return this.subscriber === null ? 0 : this.subscriber.count;
  }

  /** PushTarget: a message frame, after the replies owed now; the output not yet read. */
  push(frame: Buffer): number {
    this.replies.push(frame);
    return this.replies.outputBytes;
  }

  /** PushTarget: a subscriber that does not read its messages: an error after what it has, then closed. */
  cutOff(reason: string): void {
    this.server.logger.warn(`RESP client ${this.address}: ${reason}: closing it`);
    // The reason comes after up to the limit's worth of messages: a slow reader gets longer
    // than the usual grace to reach it. What it holds is bounded by the limit meanwhile.
    this.closer.hangUpLater(CUT_OFF_GRACE_MS);
    this.errorThenClose(reason);
  }

  /**
   * Called about once a second: closes a connection that has not authenticated within the
   * handshake timeout, has been sending one command for longer than the frame timeout
   * (slowloris), or has been idle, owed nothing, past the idle timeout (Redis's `timeout`).
   */
  checkTimeouts(now: number): void {
    if (this.replies.closing || this.socket.destroyed) return;
    const t = this.server.timeouts;
    if (this.commands !== this.commandsAtCheck) {
      this.commandsAtCheck = this.commands;
      this.activeAt = now;
    }
    let reason: string | null = null;
    if (!this.authed && t.handshakeMs > 0 && now - this.openedAt > t.handshakeMs) {
      reason = `not authenticated within ${t.handshakeMs} ms`;
    } else if (t.frameMs > 0 && this.partialSince !== 0 && !this.socket.isPaused() && now - this.partialSince > t.frameMs) {
      reason = `a command took more than ${t.frameMs} ms to arrive`;
    } else if (t.idleMs > 0 && this.replies.pending === 0 && now - this.activeAt > t.idleMs) {
      // Redis closes idle clients without a word; clients reconnect.
      this.server.logger.debug(`RESP client ${this.address} idle for more than ${t.idleMs} ms: closing it`);
      this.socket.destroy();
      return;
    }
    if (reason === null) return;
    this.server.logger.warn(`RESP client ${this.address}: ${reason}: closing it`);
    this.errorThenClose(reason);
    // Also when the replies owed before the error never get written.
    this.closer.hangUpLater();
  }

  /** The connection authenticated (AUTH or HELLO ... AUTH): the configured limits apply. */
  login(): void {
    this.authed = true;
    this.parser.login();
  }

  /** When a command was last seen, to about a second (the timeout check notices it). */
  get lastActiveAt(): number {
    return this.commands !== this.commandsAtCheck ? Date.now() : this.activeAt;
  }

  /** Bytes of a command not yet complete (CLIENT LIST's qbuf). */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /** Replies owed (CLIENT LIST's oll). */
  get pendingReplies(): number {
    return this.replies.pending;
  }

  /** Switch protocol (HELLO 2 / HELLO 3): the commands from the next one on answer in it. */
  setProto(proto: R.Proto): void {
    this.proto = proto;
    this.getShape = proto === 3 ? SHAPE_BULK | SHAPE_RESP3 : SHAPE_BULK;
    this.setShape = proto === 3 ? SHAPE_SET | SHAPE_RESP3 : SHAPE_SET;
  }

  /** `-ERR message` in turn, after every earlier reply (as Redis does), then the connection closes. */
  private errorThenClose(message: string): void {
    const slot = this.replies.reserve(SHAPE_DONE);
    this.replies.close();
    this.replies.fill(slot, R.error(`ERR ${message}`));
  }

  private command(args: Buffer[]): void {
    this.commands++;
    if (this.held !== null) {
      this.held.push(args);
      return;
    }
    this.dispatch(args);
  }

  /** Later commands wait (in order) until release(): EXEC sends its transaction first. */
  hold(): void {
    this.held ??= [];
  }

  /** Run the commands that waited, unless one of them holds again. */
  release(): void {
    const waiting = this.held;
    this.held = null;
    if (waiting === null) return;
    for (let i = 0; i < waiting.length; i++) {
      if (this.held !== null) {
        (this.held as Buffer[][]).unshift(...waiting.slice(i));
        return;
      }
      this.dispatch(waiting[i]);
    }
  }

  private dispatch(args: Buffer[]): void {
    if (this.replies.closing || args.length === 0) return;
    const a0 = args[0];
    const name = a0.toString('latin1').toLowerCase();
    const slot = this.replies.reserve(SHAPE_DONE);
    const done: Done = (reply) => this.replies.fill(slot, reply);
    // QUIT: answer it, then close once every earlier reply has been written.
    if (name === 'quit') this.replies.close();
    const cmd = RESP_COMMANDS.get(name);
    this.lastCommand = cmd === undefined ? 'NULL' : name;
    if (!this.authed && (cmd === undefined || !cmd.preAuth)) {
      done(R.error('NOAUTH Authentication required.'));
      return;
    }
    if (cmd === undefined) {
      const shown = args
        .slice(1, 4)
        .map((a) => `'${a.toString('utf8').slice(0, 64)}'`)
        .join(' ');
      done(R.error(`ERR unknown command '${a0.toString('utf8').slice(0, 128)}', with args beginning with: ${shown}`));
      // Redis: a command refused while queueing makes EXEC refuse the whole transaction.
      if (this.txn.inMulti) this.txn.dirty = true;
      return;
    }
    if (args.length < cmd.arity[0] || args.length > cmd.arity[1]) {
      done(wrongArity(args));
      if (this.txn.inMulti) this.txn.dirty = true;
      return;
    }
    // RESP2 subscribed mode: the connection carries messages, so replies to other commands
    // could not be told apart from them (RESP3 has push frames, and keeps every command).
    if (this.proto === 2 && !cmd.whenSubscribed && this.subscriptionCount > 0) {
      const full = WITH_SUBCOMMANDS.has(name) && args.length > 1 ? `${name}|${args[1].toString('latin1').toLowerCase()}` : name;
      done(R.error(`ERR Can't execute '${full}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`));
      return;
    }
    if (this.txn.inMulti && !cmd.runsInMulti) {
      this.queue(cmd, args, done);
      return;
    }
    try {
      cmd.run(this, args, done);
    } catch (err) {
      done(R.errorReply(err));
    }
  }

  /**
   * Inside MULTI: the command's ops join the transaction EXEC will send (+QUEUED). A
   * command without a transactional form (KEYS, SCAN, INFO...) is refused rather than run
   * outside the transaction, and so is one with a syntax error; EXEC then answers EXECABORT.
   */
  private queue(cmd: RespCommand, args: Buffer[], done: Done): void {
    const t = this.txn;
    if (cmd.toOps === undefined) {
      t.dirty = true;
      done(R.error(`ERR Command not allowed inside a transaction ('${cmd.name}' has no transactional form in kvndb)`));
      return;
    }
    try {
      const part = cmd.toOps(args);
      // The whole transaction goes to the router as one frame: refuse it while queueing.
      for (const a of args) t.bytes += a.length + 24;
      if (t.bytes > this.server.limits.maxFrameBytes) {
        t.dirty = true;
        done(R.error(`ERR the transaction is over the frame limit of ${this.server.limits.maxFrameBytes} bytes`));
        return;
      }
      t.queued!.push(part);
      done(QUEUED);
    } catch (err) {
      t.dirty = true;
      done(R.errorReply(err));
    }
  }

  /**
   * The parser's fast path: GET KEY (no value) or SET KEY VALUE, the key being bytes
   * start..end of data. The key is checked here, the rest by the router. Before AUTH, once
   * closing, inside MULTI, while commands wait for an EXEC or while subscribed, the command
   * goes the generic way (false).
   */
  private fastGetOrSet(data: Buffer, start: number, end: number, value: Buffer | undefined): boolean {
    if (!this.authed || this.replies.closing || this.txn.queued !== null || this.held !== null) return false;
    // A subscriber (RESP2's subscribed mode refuses GET and SET) goes the generic way too.
    if (this.subscriber !== null && this.subscriber.count > 0) return false;
    this.commands++;
    const slot = this.replies.reserve(value === undefined ? this.getShape : this.setShape);
    let k: string;
    try {
      k = keyIn(data, start, end);
    } catch (err) {
      this.replies.fill(slot, R.errorReply(err));
      return true;
    }
    this.execute(value === undefined ? [Op.GET, 0, k] : [Op.SET, 0, k, value], this.replies, slot);
    return true;
  }

  // ---- the router ----------------------------------------------------------------------

  /**
   * The one way to the router: native request `msg` = [op, 0, ...args], exactly as a native
   * client sends it (the id is unused); the answer goes to sink.reply(tag, ...).
   */
  execute(msg: unknown[], sink: ReplySink, tag: number): void {
    this.server.backend.execute(msg, sink, tag, Door.Resp);
  }

  /** The router's status (INFO). */
  status(): RouterStatus {
    return this.server.backend.status();
  }

  /**
   * Runs native request `msg` ([op, 0, ...args]); `map` turns its value into the RESP reply,
   * in the protocol the connection spoke when the command ran.
   */
  call(msg: unknown[], done: Done, map: (value: unknown, proto: R.Proto) => Buffer): void {
    const proto = this.proto;
    this.execute(
      msg,
      new CallbackSink((err, value) => {
        if (err) {
          this.server.backend.stats?.error(Door.Resp, err);
          done(R.errorReply(err));
        }
        else {
          try {
            done(map(value, proto));
          } catch (e) {
            done(R.errorReply(e));
          }
        }
      }),
      0,
    );
  }

  /** Runs native request `msg` ([op, 0, ...args]) and resolves with its value (for multi-step commands). */
  request(msg: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.execute(
        msg,
        new CallbackSink((err, value) => {
          if (err) {
            this.server.backend.stats?.error(Door.Resp, err);
            reject(err);
          } else resolve(value);
        }),
        0,
      );
    });
  }
}
