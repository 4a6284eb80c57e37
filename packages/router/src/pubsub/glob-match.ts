/**
 * Redis's glob matcher (util.c stringmatchlen, as of Redis 7.2) ported byte for byte, for
 * PSUBSCRIBE patterns and PUBSUB CHANNELS. resp/glob.ts compiles KEYS patterns to a RegExp;
 * this one is a direct port instead, for two reasons: subscribers choose patterns and every
 * PUBLISH runs them, so a backtracking RegExp (`*a*a*a*a*b`) could stall the router, while
 * Redis's skip-longer-matches rule keeps a match within about pattern x subject steps; and
 * Redis's corner cases (an unclosed `[` reads to the end, `[]` matches nothing, reversed
 * ranges `[z-a]`, `\` inside a class) come out the same as Redis without restating them.
 *
 * Both arguments are byte strings: one char per byte (latin1), as channels are kept.
 */
export function globMatch(pattern: string, subject: string): boolean {
  return matchAt(pattern, 0, subject, 0, { skipLonger: false }, 0);
}

/** Redis gives up (no match) past this many nested stars: abusive patterns. */
const MAX_NESTING = 1000;

function matchAt(p: string, pi: number, s: string, si: number, state: { skipLonger: boolean }, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const pEnd = p.length;
  const sEnd = s.length;
  // Reads past the end see 0, as C reads an sds string's terminating NUL.
  const pc = (i: number): number => (i < pEnd ? p.charCodeAt(i) : 0);
  while (pi < pEnd && si < sEnd) {
    switch (pc(pi)) {
      case 42: {
        // '*'
        while (pi < pEnd && pc(pi + 1) === 42) pi++;
        if (pEnd - pi === 1) return true;
        while (si < sEnd) {
          if (matchAt(p, pi + 1, s, si, state, nesting + 1)) return true;
          if (state.skipLonger) return false;
          si++;
        }
        // The rest of the pattern matches nowhere in the rest of the subject: a longer match
        // for an earlier star cannot help either.
        state.skipLonger = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: {
        // '['
        pi++;
        const not = pc(pi) === 94; // '^'
        if (not) pi++;
        let match = false;
        const c = s.charCodeAt(si);
        for (;;) {
          if (pc(pi) === 92 && pEnd - pi >= 2) {
            // '\x' inside a class: x literally
            pi++;
            if (pc(pi) === c) match = true;
          } else if (pc(pi) === 93) {
            // ']'
            break;
          } else if (pi >= pEnd) {
            // Unclosed: the class ran to the end of the pattern.
            pi--;
            break;
          } else if (pEnd - pi >= 3 && pc(pi + 1) === 45) {
            // 'a-z'; Redis swaps a reversed range
            let start = pc(pi);
            let end = pc(pi + 2);
            if (start > end) [start, end] = [end, start];
            pi += 2;
            if (c >= start && c <= end) match = true;
          } else if (pc(pi) === c) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default:
        // '\x' is x literally (a trailing '\' is itself)
        if (pc(pi) === 92 && pEnd - pi >= 2) pi++;
        if (pc(pi) !== s.charCodeAt(si)) return false;
        si++;
        break;
    }
    pi++;
    if (si === sEnd) {
      while (pc(pi) === 42) pi++;
      break;
    }
  }
  return pi >= pEnd && si === sEnd;
}
