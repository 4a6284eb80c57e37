import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** How often WAIT looks at the replicas' acknowledgements while it waits. */
const POLL_MS = 5;

/**
 * WAIT numreplicas timeout: the number of replicas that applied every write this connection
 * sent before the WAIT. Writes are sequenced as they arrive, so the newest seq at that
 * moment covers all of them (and perhaps other connections' writes too: WAIT may wait a
 * little longer than it must, never less). Answers as soon as `numreplicas` have, or at
 * `timeout` ms (0: no limit, as in Redis) with however many have. A write answered by
 * kvndb has already met the write-ack policy; WAIT asks for more (e.g. all replicas).
 */
export const wait: RespCommand = {
  name: 'wait',
  arity: [3, 3],
  run: (s, args, done) => {
    const want = Number(args[1].toString());
    const timeout = Number(args[2].toString());
    if (!Number.isSafeInteger(want) || !Number.isSafeInteger(timeout)) {
      done(R.error('ERR value is not an integer or out of range'));
      return;
    }
    if (timeout < 0) {
      done(R.error('ERR timeout is negative'));
      return;
    }
    const backend = s.server.backend;
    const seq = backend.lastSeq;
    const deadline = timeout === 0 ? Infinity : Date.now() + timeout;
    const check = (): void => {
      const n = backend.appliedBy(seq);
      if (n >= want || Date.now() >= deadline || s.socket.destroyed) done(R.integer(n));
      else setTimeout(check, POLL_MS).unref();
    };
    check();
  },
};
