import type { ReplySink } from '../requests/reply-sink';

/**
 * A read on its way to a replica. `msg` is the replica-bound message, [op, id, ...args];
 * the replica link writes its own id into msg[1] before sending, so a read retried on
 * another replica reuses the same object.
 */
export class ReadRequest {
  attempts = 0;

  constructor(
    readonly msg: unknown[],
    readonly sink: ReplySink,
    readonly tag: number,
    /** Date.now() after which the read is answered with TIMEOUT. */
    readonly deadline: number,
  ) {}
}
