/**
 * Redis's client-output-buffer-limit for the pubsub class: a subscriber whose unsent
 * messages pass `hard` bytes, or stay above `soft` bytes for `softSeconds`, is cut off. 0
 * turns a limit off, as in Redis. The default is Redis's: pubsub 32mb 8mb 60.
 */
export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export const DEFAULT_PUBSUB_OUTPUT_LIMIT: Readonly<OutputLimit> = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };

/**
 * Judges one subscriber's output after each message (Redis's checkClientOutputBufferLimits).
 * Not the shared Backpressure: there is no producer to pause (every publisher feeds every
 * subscriber), only a consumer to cut off, and CONFIG SET may change the limits of
 * subscribers already connected.
 */
export class OutputGuard {
  /** When the output went above the soft limit (0: it is not). */
  private softSince = 0;

  /** Why the subscriber must be cut off with `bytes` unsent, or null when it may stay. */
  check(bytes: number, limit: OutputLimit, now = Date.now()): string | null {
    if (limit.hard > 0 && bytes >= limit.hard) {
      return `more than ${limit.hard} bytes of pub/sub messages unread (client-output-buffer-limit pubsub ${describeLimit(limit)})`;
    }
    if (limit.soft > 0 && bytes >= limit.soft) {
      if (this.softSince === 0) this.softSince = now;
      else if (now - this.softSince >= limit.softSeconds * 1000) {
        return `more than ${limit.soft} bytes of pub/sub messages unread for ${limit.softSeconds} s (client-output-buffer-limit pubsub ${describeLimit(limit)})`;
      }
    } else {
      this.softSince = 0;
    }
    return null;
  }
}

function describeLimit(l: OutputLimit): string {
  return `${l.hard} ${l.soft} ${l.softSeconds}`;
}

/** Redis's memory units in configuration: 1k = 1000, 1kb = 1024, and so on up to g/gb. */
function memoryBytes(text: string): number | null {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(text);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit] as number;
  const n = Number(m[1]) * mult;
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * CONFIG SET client-output-buffer-limit's value, `<class> <hard> <soft> <seconds>` repeated:
 * the pubsub class's new limit, or an error in Redis's words. kvndb bounds normal clients
 * and replicas by its own flags, so only the pubsub class may be set here.
 */
export function parseOutputLimitConfig(text: string): OutputLimit | { error: string } {
  const words = text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || words.length % 4 !== 0) return { error: 'Wrong number of arguments in buffer limit configuration.' };
  let limit: OutputLimit | null = null;
  for (let i = 0; i < words.length; i += 4) {
    const cls = words[i].toLowerCase();
    if (!['normal', 'slave', 'replica', 'pubsub'].includes(cls)) return { error: 'Invalid client class specified in buffer limit configuration.' };
    const hard = memoryBytes(words[i + 1]);
    const soft = memoryBytes(words[i + 2]);
    const seconds = /^\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : null;
    if (hard === null || soft === null || seconds === null) {
      return { error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
    }
    if (cls !== 'pubsub') return { error: `kvndb sets only the pubsub class here (normal clients and replicas are bounded by the router's own options)` };
    limit = { hard, soft, softSeconds: seconds };
  }
  return limit as OutputLimit;
}

/** CONFIG GET client-output-buffer-limit, in Redis's form (kvndb's normal and replica classes shown as Redis's defaults). */
export function formatOutputLimitConfig(l: OutputLimit): string {
  return `normal 0 0 0 slave 268435456 67108864 60 pubsub ${describeLimit(l)}`;
}
