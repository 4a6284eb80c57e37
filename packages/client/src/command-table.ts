import { IdRing } from '@kvndb/shared';
import type { Command } from './command-queue';

/**
 * The unfinished commands by id, in creation order: CommandQueue's `pending`. An IdRing
 * (shared/net/id-ring.ts: a ring indexed by `id & mask`, not a Map, with very old commands
 * spilling into a Map) keyed by each command's own id.
 */
export class CommandTable {
  private readonly ring = new IdRing<Command>();

  get size(): number {
    return this.ring.size;
  }

  /** The command with this id, or undefined. `id` may be anything a peer sent. */
  get(id: number): Command | undefined {
    return this.ring.get(id);
  }

  has(id: number): boolean {
    return this.ring.get(id) !== undefined;
  }

  /** Add a command whose id is newer than every id added since the last wrap(). */
  add(cmd: Command): void {
    this.ring.set(cmd.id, cmd);
  }

  /** Remove a command that is in the table. */
  delete(cmd: Command): void {
    this.ring.delete(cmd.id);
  }

  /** The oldest command, or undefined when the table is empty. */
  oldest(): Command | undefined {
    return this.ring.oldest();
  }

  /** Every command, oldest first (a copy: the caller may delete while going through it). */
  values(): Command[] {
    return this.ring.values();
  }

  /** Ids start again from 1: everything in the table is now older than what comes next. */
  wrap(): void {
    this.ring.restart();
  }

  clear(): void {
    this.ring.clear();
  }
}
