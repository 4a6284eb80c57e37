import type { KvndbError } from '@kvndb/shared';
import type { ReplySink } from './reply-sink';

/** The doors a request can come through; metrics label them by name. */
export const Door = { Native: 0, Resp: 1, Http: 2 } as const;
export type Door = (typeof Door)[keyof typeof Door];
export const DOOR_NAMES = ['native', 'resp', 'http'] as const;

/** Opcodes are small integers; one row of counters per door. */
const OPS = 256;
/** One request in this many is timed (SAMPLE_MASK + 1 must be a power of two). */
const SAMPLE_MASK = 15;

/**
 * Request counts for metrics, kept as plain numbers so the hot path pays one typed-array
 * increment per request; /metrics reads them at scrape time. Latency is sampled: one
 * request in 16 gets a timing sink, the others go straight to their own sink.
 */
export class RequestStats {
  /** requests[door * 256 + op]. */
  readonly requests = new Float64Array(DOOR_NAMES.length * OPS);
  /** Errors answered, per door, by error code. */
  readonly errors: Array<Map<string, number>> = DOOR_NAMES.map(() => new Map());
  /** Failed authentications, per door. */
  readonly authFailures = new Float64Array(DOOR_NAMES.length);
  /** Where sampled latencies go (seconds); null until a metrics endpoint asks for them. */
  observeLatency: ((op: number, seconds: number, failed: boolean) => void) | null = null;
  private tick = 0;

  /** Count a request; returns the sink to answer it through (a timing one for a sample). */
  count(door: number, op: number, sink: ReplySink, tag: number): ReplySink {
    this.requests[door * OPS + (op & (OPS - 1))]++;
    if ((++this.tick & SAMPLE_MASK) !== 0 || this.observeLatency === null) return sink;
    return new TimedSink(this, op, sink, tag);
  }

  error(door: number, err: KvndbError): void {
    const m = this.errors[door];
    m.set(err.code, (m.get(err.code) ?? 0) + 1);
  }

  authFailed(door: number): void {
    this.authFailures[door]++;
  }
}

/** A sampled request's sink: times it, then answers through the real one with the real tag. */
class TimedSink implements ReplySink {
  private readonly start = process.hrtime.bigint();
  constructor(
    private readonly stats: RequestStats,
    private readonly op: number,
    private readonly sink: ReplySink,
    private readonly tag: number,
  ) {}

  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    const seconds = Number(process.hrtime.bigint() - this.start) / 1e9;
    this.stats.observeLatency?.(this.op, seconds, err !== null);
    this.sink.reply(this.tag, err, value);
  }
}
