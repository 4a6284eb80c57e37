import { isOpError, type SetFlags, type WireChange, type WriteOp, type WriteResult } from '@kvndb/shared';

/**
 * A write's results as the change feed keeps them: only what changesOf() reads. Values
 * (GETDEL's, SET GET's old value) become `true` and op errors `false`, so the history pins
 * no socket chunk; results that are all `true` (plain SET, DEL of existing keys, the common
 * case) share one constant, so keeping them costs a slot and no allocation.
 */
export type SlimResults = readonly WriteResult[] | typeof ALL_TRUE;
export const ALL_TRUE = 1;

export function slimResults(ops: readonly WriteOp[], results: readonly WriteResult[]): SlimResults {
  let allTrue = true;
  for (let i = 0; i < results.length; i++) {
    if (results[i] !== true) {
      allTrue = false;
      break;
    }
  }
  if (allTrue) return ALL_TRUE;
  return slimEach(ops, results);
}

function slimEach(ops: readonly WriteOp[], results: readonly WriteResult[]): WriteResult[] {
  const out: WriteResult[] = new Array(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const kind = ops[i]?.[0];
    if (r instanceof Uint8Array) out[i] = true;
    else if (isOpError(r)) out[i] = false;
    else if (kind === 's' && Array.isArray(r)) out[i] = r[0] === true;
    // A pop's [key, values, length left]: the values' count instead of the values.
    else if (kind === 'P' && Array.isArray(r)) out[i] = [r[0], Array.isArray(r[1]) ? r[1].length : 0, r[2]];
    else if (kind === 't' && Array.isArray(r)) {
      const op = ops[i] as Extract<WriteOp, ['t', ...unknown[]]>;
      const branch = r[0] === true ? op[2] : op[3];
      out[i] = [r[0], Array.isArray(r[1]) ? slimEach(branch, r[1]) : []];
    } else out[i] = r;
  }
  return out;
}

function resultAt(results: SlimResults | readonly WriteResult[], i: number): WriteResult {
  return results === ALL_TRUE ? true : (results as readonly WriteResult[])[i];
}

/**
 * The changes a write made, in op order, from its ops and its results (full or slim):
 * docs/PROTOCOL.md "Change events" gives the rules. `time` is the write's router time (a
 * SET with an expiry at or before it removed the key).
 */
export function changesOf(ops: readonly WriteOp[], results: SlimResults | readonly WriteResult[], time: number, out: WireChange[] = []): WireChange[] {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const r = resultAt(results, i);
    switch (op[0]) {
      case 's': {
        const applied = r === true || (Array.isArray(r) && r[0] === true);
        if (!applied) break;
        const f = op.length > 3 ? (op[3] as SetFlags | null) : null;
        if (f && !f.keep && f.at !== undefined && f.at <= time) out.push(['del', op[1], null]);
        else out.push(['set', op[1], op[2]]);
        break;
      }
      case 'd':
      case 'gd':
        // DEL answers whether a live key existed; GETDEL its value (nil: nothing removed).
        if (r === true || (op[0] === 'gd' && r !== null && r !== false && r !== undefined)) out.push(['del', op[1], null]);
        break;
      case 'i':
      case 'f':
        // The result is the new value (a number or its decimal string); an op error changed nothing.
        if (typeof r === 'number' || typeof r === 'string') out.push(['set', op[1], Buffer.from(String(r), 'latin1')]);
        break;
      case 'a':
        // The new length; the new value is not in the write (read it if needed).
        if (typeof r === 'number') out.push(['set', op[1], null]);
        break;
      case 'r':
        // An empty SETRANGE changes nothing.
        if (typeof r === 'number' && op[3].length > 0) out.push(['set', op[1], null]);
        break;
      case 'e': {
        if (r !== true) break;
        const [, key, px, at] = op;
        // An expiry at or before the write's time removed the key (px is always > 0).
        out.push([px === null && at !== null && at <= time ? 'del' : 'ttl', key, null]);
        break;
      }
      case 'gx': {
        if (r === null || r === false || r === undefined) break;
        const [, key, px, at, persist] = op;
        if (persist) out.push(['ttl', key, null]);
        else if (px !== null || at !== null) out.push([px === null && at !== null && at <= time ? 'del' : 'ttl', key, null]);
        break;
      }
      case 'm': {
        const [, from, to, flags] = op;
        if (r !== true || from === to) break;
        out.push(['set', to, null]);
        if (!flags.copy) out.push(['del', from, null]);
        break;
      }
      case 'F':
        out.push(['flush', '', null]);
        break;
      case 'x':
        if (Array.isArray(r) && Array.isArray(r[0])) for (const key of r[0] as string[]) out.push(['expire', key, null]);
        break;
      case 't':
        if (Array.isArray(r) && Array.isArray(r[1])) changesOf(r[0] === true ? op[2] : op[3], r[1] as WriteResult[], time, out);
        break;
      // Lists: 'list' when one changed (its items are not in the event), 'del' when a pop emptied it.
      case 'L':
      case 'lr':
        // The new length / the count removed: 0 changed nothing.
        if (typeof r === 'number' && r > 0) out.push(['list', op[1], null]);
        break;
      case 'lt':
      case 'ls':
        if (r === true) out.push(['list', op[1], null]);
        break;
      case 'P':
        // [key popped, values (or their count), length left], nil when every key was empty.
        if (Array.isArray(r) && typeof r[0] === 'string') {
          const taken = Array.isArray(r[1]) ? r[1].length : (r[1] as number);
          if (taken > 0) out.push([r[2] === 0 ? 'del' : 'list', r[0], null]);
        }
        break;
      case 'lm': {
        // The value moved (true once slimmed), nil when the source was empty.
        if (r === null || r === false || r === undefined || isOpError(r)) break;
        const [, from, to] = op;
        out.push(['list', from, null]);
        if (to !== from) out.push(['list', to, null]);
        break;
      }
      default:
        // Reads inside a transaction ('G', 'V') change nothing; unknown kinds: see above.
        break;
    }
  }
  return out;
}
