import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KvndbError } from '@kvndb/shared';
import { appendEpoch, type EpochStart } from './history';

/**
 * An in-sync set and the first seq counted under it. `used` is saved before the first
 * client write is sequenced under it: an unused membership acknowledged nothing.
 */
export interface Membership {
  readonly members: readonly string[];
  readonly fromSeq: number;
  used: boolean;
}

/**
 * What a router must remember across its restarts so that it never serves from replicas
 * that lack acknowledged writes:
 * - `history`: the epochs it ran and where each began (see history.ts);
 * - `memberships`: the in-sync sets, oldest first, each with the first seq counted under
 *   it, from the one the newest acknowledged write may have been acknowledged under. Each
 *   was saved before any write was counted under it, and the older ones are dropped once
 *   a write under a newer one was acknowledged;
 * - `floors`: per replica name, a seq it had acknowledged: a member that comes back below
 *   it lost data (a restarted memory replica, a restored backup) and proves nothing.
 */
export interface RouterStateData {
  version: 1;
  history: EpochStart[];
  memberships: Membership[];
  floors: Record<string, number>;
}

const EMPTY: RouterStateData = { version: 1, history: [], memberships: [], floors: {} };

/**
 * The router's state, in memory and (with a file) on disk. Every change that a later
 * decision depends on is saved before the router acts on it: an epoch before its first
 * write, a membership before a write is counted under it. Saving is synchronous (a
 * temporary file, fsync, rename, fsync of the directory) and happens only when the
 * membership or epoch changes, plus at most once a tick for the floors.
 */
export class RouterState {
  private data: RouterStateData;
  private dirty = false;

  private constructor(
    readonly file: string | undefined,
    data: RouterStateData,
    /** True when the file existed: this router served a history before. */
    readonly loaded: boolean,
  ) {
    this.data = data;
  }

  /** No file: the state lives as long as the process (library use, tests). */
  static inMemory(): RouterState {
    return new RouterState(undefined, structuredClone(EMPTY), false);
  }

  /** Load `file`, or start empty when it does not exist. A file that cannot be read is an error, never a fresh start. */
  static open(file: string): RouterState {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const state = new RouterState(file, structuredClone(EMPTY), false);
        state.save(); // fail now, not at the first adoption, if the directory is not writable
        return state;
      }
      throw new KvndbError(ErrorCode.BAD_REQUEST, `cannot read the router state file ${file}: ${(err as Error).message}`, { cause: err });
    }
    return new RouterState(file, parse(file, text), true);
  }

  get history(): readonly EpochStart[] {
    return this.data.history;
  }

  get memberships(): readonly Membership[] {
    return this.data.memberships;
  }

  floor(name: string): number {
    return this.data.floors[name] ?? 0;
  }

  /** Highest epoch the history knows (0: none). */
  get lastEpoch(): number {
    const h = this.data.history;
    return h.length > 0 ? h[h.length - 1].epoch : 0;
  }

  /** A new epoch starts after `afterSeq`; `members` (all holding that seq) are in sync with it. Saved at once. */
  startEpoch(start: EpochStart, members: readonly string[], floors: Record<string, number>, before?: EpochStart): void {
    let history = this.data.history;
    if (before && !history.some((e) => e.epoch === before.epoch)) history = appendEpoch(history, before);
    this.data.history = appendEpoch(history, start);
    this.data.memberships = members.length > 0 ? [{ members: sorted(members), fromSeq: start.afterSeq + 1, used: false }] : [];
    this.data.floors = { ...floors };
    this.save();
  }

  /**
   * The in-sync set changed; writes from `fromSeq` on are counted under `members`. Saved
   * before returning, so a crash after any such write finds the membership on disk. An
   * empty set acknowledges nothing and is not recorded, and the newest set is replaced
   * rather than kept when no write was sequenced under it (replicas leaving one by one
   * at a shutdown would otherwise leave sets behind that only their own members satisfy).
   */
  membershipChanged(members: readonly string[], fromSeq: number): void {
    if (members.length === 0) return;
    const next = sorted(members);
    const list = this.data.memberships;
    const newest = list[list.length - 1];
    if (newest && sameSet(newest.members, next)) return;
    const kept = newest && !newest.used ? list.slice(0, -1) : list;
    this.data.memberships = [...kept, { members: next, fromSeq, used: false }];
    this.save();
  }

  /** True until a client write is sequenced under the newest membership: the router checks it per write, cheaply. */
  get newestUnused(): boolean {
    const list = this.data.memberships;
    return list.length > 0 && !list[list.length - 1].used;
  }

  /** A client write is about to be sequenced under the newest membership: saved first. */
  markNewestUsed(): void {
    const list = this.data.memberships;
    if (list.length === 0 || list[list.length - 1].used) return;
    list[list.length - 1].used = true;
    this.save();
  }

  /**
   * Once a write under the newest membership was acknowledged, the newest acknowledged
   * write is under it, and older memberships need no longer be waited for. Also moves
   * the floors up. Saves at most once per call, only when something changed.
   */
  settle(lastAckedSeq: number, floors: Iterable<[string, number]>): void {
    const list = this.data.memberships;
    if (list.length > 1 && lastAckedSeq >= list[list.length - 1].fromSeq) {
      this.data.memberships = [list[list.length - 1]];
      this.dirty = true;
    }
    const known = new Set(this.data.memberships.flatMap((m) => m.members));
    for (const [name, seq] of floors) {
      if (known.has(name) && seq > (this.data.floors[name] ?? 0)) {
        this.data.floors[name] = seq;
        this.dirty = true;
      }
    }
    for (const name of Object.keys(this.data.floors)) {
      if (!known.has(name)) {
        delete this.data.floors[name];
        this.dirty = true;
      }
    }
    if (this.dirty) this.save();
  }

  private save(): void {
    this.dirty = false;
    if (!this.file) return;
    writeDurably(this.file, JSON.stringify(this.data, null, 1) + '\n');
  }
}

/**
 * Replace `file` so that after a crash it holds either the old or the new text, and the
 * new text once this returns: write a temporary file, fsync it, rename it over, fsync the
 * directory (the rename itself is only durable then, which write-file-atomic does not do).
 */
function writeDurably(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

function parse(file: string, text: string): RouterStateData {
  const bad = (why: string) =>
    KvndbError.badRequest(`the router state file ${file} is damaged (${why}); restore it, or move it away to start a new history`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const d = raw as Partial<RouterStateData>;
  if (!d || d.version !== 1) throw bad('unknown version');
  const history = d.history;
  if (!Array.isArray(history) || !history.every((e) => Number.isSafeInteger(e?.epoch) && Number.isSafeInteger(e?.afterSeq))) {
    throw bad('history');
  }
  const memberships = d.memberships;
  const isMembership = (m: Membership) =>
    Array.isArray(m?.members) &&
    m.members.every((n) => typeof n === 'string') &&
    Number.isSafeInteger(m.fromSeq) &&
    typeof m.used === 'boolean';
  if (!Array.isArray(memberships) || !memberships.every(isMembership)) {
    throw bad('memberships');
  }
  const floors = d.floors;
  if (!floors || typeof floors !== 'object' || !Object.values(floors).every((v) => Number.isSafeInteger(v))) throw bad('floors');
  return { version: 1, history, memberships, floors };
}

function sorted(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
