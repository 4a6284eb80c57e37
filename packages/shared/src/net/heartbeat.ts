import { performance } from 'node:perf_hooks';
import { encodeFrame } from '../codec/codec';
import { Op } from '../protocol/opcodes';

/** A peer that showed no sign of life for this many heartbeat intervals is taken for dead. */
export const HEARTBEAT_MISSES = 3;
/** Shorter intervals would take scheduling jitter for death; longer ones overflow timers. */
export const MIN_HEARTBEAT_MS = 100;
export const MAX_HEARTBEAT_MS = 2 ** 31 - 1;

/** Milliseconds on a monotonic clock: wall-clock steps (NTP, a resumed VM) do not move it. */
export function monotonicMs(): number {
  return performance.now();
}

/** Whether `ms` is a usable heartbeat interval (0 = off is checked by the caller). */
export function validHeartbeat(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= MIN_HEARTBEAT_MS && ms <= MAX_HEARTBEAT_MS;
}

/**
 * Runs `check(now)` twice per interval. A round whose timer fired late (the event loop was
 * blocked) is skipped: libuv runs timers before reading sockets, so judging then would use
 * arrival times from before the stall. The next round sees what arrived meanwhile.
 */
export function startHeartbeat(intervalMs: number, check: (now: number) => void): NodeJS.Timeout {
  const period = Math.max(10, Math.floor(intervalMs / 2));
  let last = monotonicMs();
  const timer = setInterval(() => {
    const now = monotonicMs();
    const late = now - last > 2 * period;
    last = now;
    if (!late) check(now);
  }, period);
  timer.unref();
  return timer;
}

/** What a heartbeat round needs of a connection (FramedConnection has it). */
export interface HeartbeatPeer {
  /** Monotonic ms when bytes last arrived / were last handed to the stream. */
  readonly lastReceivedAt: number;
  readonly lastSentAt: number;
  sendFrame(frame: Buffer): void;
}

/** [PING, 0], encoded once: the answer, [RESULT, 0, "PONG"], matches no request. */
const PING_FRAME = encodeFrame([Op.PING, 0]);

/**
 * One heartbeat round, the same on both ends of a router-replica link. Returns how long
 * the peer has been silent when that is over HEARTBEAT_MISSES intervals (the caller hangs
 * up); otherwise null, after sending a PING if this side has been quiet for an interval.
 */
export function heartbeatRound(conn: HeartbeatPeer, now: number, intervalMs: number): number | null {
  const silentFor = Math.round(now - conn.lastReceivedAt);
  if (silentFor > HEARTBEAT_MISSES * intervalMs) return silentFor;
  if (now - conn.lastSentAt >= intervalMs) conn.sendFrame(PING_FRAME);
  return null;
}
