import type { SetFlags, WriteOp } from './types';

/** A new expiry from px (relative to the write's router time) or at (absolute); 0 for neither. */
export function expiryFrom(px: number | null | undefined, at: number | null | undefined, time: number): number {
  if (px !== null && px !== undefined) return time + px;
  if (at !== null && at !== undefined) return at;
  return 0;
}

/**
 * The earliest expiry a write may give any key, given its router time (0: none). The router
 * keeps only this number, not the keys, to know when a sweep is due. RENAME and COPY move or
 * copy an existing expiry, which the router already counted.
 */
export function earliestExpiry(ops: readonly WriteOp[], time: number): number {
  let earliest = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    let x = 0;
    switch (op[0]) {
      case 's': {
        const f = op.length > 3 ? (op[3] as SetFlags | null) : null;
        if (f && !f.keep) x = expiryFrom(f.px, f.at, time);
        break;
      }
      case 'e':
      case 'gx':
        x = expiryFrom(op[2], op[3], time);
        break;
      case 't': {
        const a = earliestExpiry(op[2], time);
        const b = earliestExpiry(op[3], time);
        x = a === 0 ? b : b === 0 ? a : Math.min(a, b);
        break;
      }
    }
    if (x > 0 && (earliest === 0 || x < earliest)) earliest = x;
  }
  return earliest;
}

/**
 * Call `onKey` with every key `ops` may change (a key may come more than once). Returns
 * false, having called it for none or some, when they may change keys they do not name (a
 * flush, a sweep) or hold an op this does not know: the caller must then assume any key
 * changed. Reads inside a transaction (G, V, H) change nothing. A cache that must never
 * keep a replaced value (replica/src/store/sqlite-reader.ts) forgets what this names.
 */
export function forEachWrittenKey(ops: readonly WriteOp[], onKey: (key: string) => void): boolean {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    switch (op[0]) {
      case 's':
      case 'd':
      case 'i':
      case 'f':
      case 'a':
      case 'r':
      case 'e':
      case 'gd':
      case 'gx':
      case 'L':
      case 'lr':
      case 'lt':
      case 'ls':
        onKey(op[1]);
        break;
      case 'm':
      case 'lm':
        onKey(op[1]);
        onKey(op[2]);
        break;
      case 'P':
        for (let j = 0; j < op[1].length; j++) onKey(op[1][j]);
        break;
      case 'G':
      case 'V':
      case 'H':
        break;
      case 't':
        if (!forEachWrittenKey(op[2], onKey) || !forEachWrittenKey(op[3], onKey)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
