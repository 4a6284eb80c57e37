import {
  ErrorCode,
  KvndbError,
  Op,
  parseGetWait,
  parseUnwatch,
  parseWait,
  parseWatch,
  type Limits,
} from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import type { ChangeFeed } from './change-feed';
import { ConnectionStreams } from './connection-streams';
import type { KeyWaiters } from './key-waiters';
import { isStreamSink, type StreamSink } from './stream-sink';

export interface StreamRequestsOptions {
  /** Watches open at once on one connection. */
  maxWatchesPerConnection: number;
}

/**
 * The requests that open streams or block (WATCH, UNWATCH, GET_WAIT, WAIT), from any door
 * whose connection is a StreamSink: checks them and hands them to the change feed and the
 * blocked readers, keeping per connection what it opened (connection-streams.ts).
 */
export class StreamRequests {
  constructor(
    private readonly feed: ChangeFeed,
    private readonly waiters: KeyWaiters,
    private readonly limits: Limits,
    private readonly options: StreamRequestsOptions,
  ) {}

  /** Run one request [op, id, ...args]; the answer goes to sink.reply(tag, ...). Throws BAD_REQUEST and the like. */
  execute(msg: unknown[], sink: ReplySink, tag: number): void {
    switch (msg[0]) {
      case Op.WATCH:
        return this.watch(msg, sink, tag);
      case Op.UNWATCH: {
        const id = parseUnwatch(msg);
        const stream = isStreamSink(sink) ? sink.streams?.watchers.get(id) : undefined;
        stream?.closed();
        return sink.reply(tag, null, stream !== undefined);
      }
      case Op.GET_WAIT: {
        const { key, waitMs } = parseGetWait(msg, this.limits);
        return this.waiters.wait([key], true, waitMs, sink, tag, streamsOf(sink));
      }
      case Op.WAIT: {
        const { keys, waitMs } = parseWait(msg, this.limits);
        return this.waiters.wait(keys, false, waitMs, sink, tag, streamsOf(sink));
      }
      default:
        throw new KvndbError(ErrorCode.NOT_SUPPORTED, `opcode ${String(msg[0])} is not a stream request`);
    }
  }

  private watch(msg: unknown[], sink: ReplySink, tag: number): void {
    if (!isStreamSink(sink)) throw new KvndbError(ErrorCode.NOT_SUPPORTED, 'WATCH needs a connection that can receive pushed events');
    const { selector, fromSeq } = parseWatch(msg, this.limits);
    const streams = (sink.streams ??= new ConnectionStreams());
    if (streams.isClosed) return;
    if (streams.watchers.has(tag)) throw KvndbError.badRequest(`request id ${tag} already names an open watch on this connection`);
    if (streams.watchers.size >= this.options.maxWatchesPerConnection) {
      throw new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `this connection already has ${streams.watchers.size} watches open (the limit is ${this.options.maxWatchesPerConnection})`);
    }
    const watcher = this.feed.watch(selector, fromSeq, {
      event: (payload) => sink.push(tag, payload),
      error: (err) => {
        streams.watchers.delete(tag);
        sink.endStream(tag, err);
      },
    });
    streams.watchers.set(tag, {
      drained: () => watcher.resume(),
      closed: () => {
        streams.watchers.delete(tag);
        watcher.close();
      },
    });
    sink.reply(tag, null, watcher.position);
    watcher.start();
  }
}

function streamsOf(sink: ReplySink): ConnectionStreams | undefined {
  if (!isStreamSink(sink)) return undefined;
  return (sink.streams ??= new ConnectionStreams());
}

export type { StreamSink };
