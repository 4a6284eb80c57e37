/** What a stream's events are handed to: the payload after [EVENT, streamId]. */
export type StreamHandler = (payload: unknown[]) => void;

/**
 * The client's streams: a request may open a stream, whose events the router pushes as
 * [EVENT, streamId, ...payload], streamId being the id of the request that opened it. This
 * routes each event to the handler registered for its stream (before the request was sent,
 * so no event can arrive unrouted). Subscriptions and watches register here.
 */
export class Streams {
  private readonly handlers = new Map<number, StreamHandler>();

  add(streamId: number, handler: StreamHandler): void {
    this.handlers.set(streamId, handler);
  }

  delete(streamId: number): void {
    this.handlers.delete(streamId);
  }

  get size(): number {
    return this.handlers.size;
  }

  /**
   * Route one EVENT message. False when no stream has its id: an event still in flight
   * when its stream was ended, which is dropped.
   */
  dispatch(msg: unknown[]): boolean {
    const handler = this.handlers.get(msg[1] as number);
    if (handler === undefined) return false;
    handler(msg.slice(2));
    return true;
  }
}
