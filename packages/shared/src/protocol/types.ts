/** Data shapes shared by router, replica and client. docs/PROTOCOL.md describes them on the wire. */

export interface SetFlags {
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
  /** Return the previous value. */
  get?: boolean;
}

/** One write inside a WRITE, BATCH or MSET: set a key, or delete one. */
export type WriteOp = ['s', string, Uint8Array] | ['s', string, Uint8Array, SetFlags] | ['d', string];

/**
 * Per-op result of applying a write: `s` gives whether it was applied (or, with the get
 * flag, `[applied, previous value or null]`); `d` gives whether the key existed.
 */
export type WriteResult = boolean | [boolean, Uint8Array | null];

/** 'diverged': it holds writes the router's history lacks, so it is kept out of service rather than resynced. */
export type ReplicaState = 'joining' | 'syncing' | 'in-sync' | 'lagging' | 'diverged';

export interface ResyncProgress {
  mode: 'full' | 'incremental';
  source?: string;
  keysDone: number;
  bytesDone: number;
  totalKeys?: number;
  keysPerSec: number;
  bytesPerSec: number;
  etaMs?: number;
  startedAt: number;
  /** The resync cannot start: no replica is in sync to copy from. */
  waitingForSource?: boolean;
}

export interface ReplicaStatus {
  id: number;
  name: string;
  address: string;
  state: ReplicaState;
  epoch: number;
  seq: number;
  lag: number;
  inflightReads: number;
  bufferedBytes: number;
  resync?: ResyncProgress;
  /** Why a 'diverged' replica is out of service. */
  conflict?: string;
}

export interface RouterStatus {
  version: string;
  protocol: number;
  epoch: number;
  seq: number;
  uptimeMs: number;
  writeAck: 'one' | 'majority' | 'all';
  /** Set while the router serves nothing because no replica provably holds every acknowledged write. */
  waitingFor?: string;
  replicas: ReplicaStatus[];
  clients: number;
  ops: {
    reads: number;
    writes: number;
    readsPerSec: number;
    writesPerSec: number;
  };
}

/** What a replica tells the router in its HELLO. */
export interface ReplicaHelloInfo {
  name: string;
  epoch: number;
  seq: number;
  reset: boolean;
}

/** One page of a KEYS scan. `cursor` is null when there is nothing after this page. */
export interface KeysPage {
  keys: string[];
  cursor: string | null;
}
