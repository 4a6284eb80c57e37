import type { KvndbError } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import type { ConnectionStreams } from './connection-streams';

/**
 * A door's connection that can receive pushed messages besides answers: the native client
 * session (EVENT frames); the HTTP door's SSE response or the RESP door's push replies can
 * be one too. The change feed and the blocking reads only need this.
 */
export interface StreamSink extends ReplySink {
  /**
   * Push one message of stream `streamId` (native: [EVENT, streamId, payload]). Returns
   * false when the connection's unsent output is over its high-water mark: the stream then
   * stops pushing until `streams.drained()` is called.
   */
  push(streamId: number, payload: unknown): boolean;
  /** End stream `streamId` with `err` (native: [ERROR, streamId, code, message, details]). */
  endStream(streamId: number, err: KvndbError): void;
  /**
   * What this connection has open, created on its first stream; the connection calls
   * `streams.drained()` when its output drains and `streams.closed()` once when it closes.
   */
  streams: ConnectionStreams | undefined;
}

export function isStreamSink(sink: ReplySink): sink is StreamSink {
  return typeof (sink as Partial<StreamSink>).push === 'function';
}
