import type { ReplicaHelloInfo } from '@kvndb/shared';
import { lineage, type EpochStart } from './history';
import { chooseSource } from './join-window';
import type { Membership } from './router-state';
import { requiredAcks, type WriteAckPolicy } from '../writes/write-sequencer';

/** What the adoption rule needs to know of the router's remembered state. */
export interface RememberedHistory {
  readonly history: readonly EpochStart[];
  readonly memberships: readonly Membership[];
  floor(name: string): number;
}

export interface Joiner {
  readonly name: string;
  readonly hello: ReplicaHelloInfo;
}

export type AdoptionPlan<T> =
  | { ready: true; source: T | undefined }
  | { ready: false; waitingFor: string };

/**
 * Which joiner a (re)started router may adopt as the source of truth, or what it must
 * still wait for.
 *
 * The newest acknowledged write W was acknowledged by a quorum Q of the in-sync set M it
 * was sequenced under (`required` of |M| replicas under the write-ack policy), and M was
 * saved before W was counted. Replicas apply writes in order, so every member of Q holds
 * W and everything before it. Any |M| - required + 1 members of M include one of Q. So
 * once that many members of each remembered membership (one of them is M) have joined,
 * each still holding at least what it had acknowledged (its floor) and within this
 * history, one of them holds every acknowledged write, and so does the joiner with the
 * highest seq in this history, since all such positions are prefixes of one another.
 *
 * A membership that was followed by another ended where the next began: a joiner in the
 * history at or past that point holds every write sequenced under it, acknowledged or not,
 * which covers it as well as a quorum would. A membership no client write was sequenced
 * under acknowledged nothing and needs no cover. With none used since the newest epoch
 * began, the writes acknowledged are those the source adopted then held: a joiner at or
 * past that seq holds them all.
 *
 * A router that remembers no membership never acknowledged a write (or has no state):
 * it adopts the best joiner, preferring one that holds data.
 */
export function planAdoption<T extends Joiner>(
  joiners: readonly T[],
  remembered: RememberedHistory,
  policy: WriteAckPolicy,
): AdoptionPlan<T> {
  const present = joiners.filter((j) => !j.hello.reset);
  if (remembered.history.length === 0) return { ready: true, source: chooseSource(joiners) };
  const inHistory = present.filter((j) => lineage(j.hello, remembered.history) === 'prefix');
  const best = inHistory.reduce<T | undefined>((b, j) => (!b || j.hello.seq > b.hello.seq ? j : b), undefined);
  const missing: string[] = [];
  const list = remembered.memberships;
  const epochStart = remembered.history[remembered.history.length - 1].afterSeq;
  if (!list.some((m) => m.used) && epochStart > 0 && !(best && best.hello.seq >= epochStart)) {
    missing.push(`a replica holding seq ${epochStart}, where epoch ${remembered.history[remembered.history.length - 1].epoch} began`);
  }
  for (let i = 0; i < list.length; i++) {
    const m = list[i].members;
    const next = list[i + 1];
    if (!list[i].used) continue;
    if (next && best && best.hello.seq >= next.fromSeq - 1) continue;
    const need = m.length - requiredAcks(policy, m.length) + 1;
    const holding = inHistory.filter((j) => m.includes(j.name) && j.hello.seq > 0 && j.hello.seq >= remembered.floor(j.name));
    const counted = new Set(holding.map((j) => j.name)).size;
    if (counted >= need) continue;
    const notCounted = joiners
      .filter((j) => m.includes(j.name) && !holding.includes(j))
      .map((j) => `${j.name} ${whyNotCounted(j, remembered)}`);
    missing.push(
      `${need - counted} more of ${m.join(', ')} (the replicas in sync when the last writes were acknowledged under write-ack ${policy})` +
        (notCounted.length > 0 ? `; not counted: ${notCounted.join('; ')}` : ''),
    );
  }
  if (missing.length > 0) {
    return {
      ready: false,
      waitingFor: `waiting for replicas that hold every acknowledged write: ${missing.join('; and ')}`,
    };
  }
  // An epoch that began at seq 0 holds nothing yet: an empty joiner will do.
  const empty = joiners.find((j) => lineage(j.hello, remembered.history) === 'empty' || j.hello.reset);
  return { ready: true, source: best ?? (epochStart <= 0 ? empty : undefined) };
}

/** Every name the remembered memberships mention: once all of them joined, waiting longer gains nothing. */
export function allMembersPresent(joiners: readonly Joiner[], remembered: RememberedHistory): boolean {
  const names = new Set(joiners.map((j) => j.name));
  return remembered.memberships.every((m) => m.members.every((n) => names.has(n)));
}

function whyNotCounted(j: Joiner, remembered: RememberedHistory): string {
  const h = j.hello;
  if (h.reset) return 'was started with --reset';
  const kind = lineage(h, remembered.history);
  if (kind === 'empty') return 'joined empty (it lost its data)';
  if (kind !== 'prefix') return `is at epoch ${h.epoch} seq ${h.seq}, outside this router's history`;
  return `is at seq ${h.seq}, below the seq ${remembered.floor(j.name)} it had acknowledged (it lost data)`;
}
