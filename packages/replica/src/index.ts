export type { Store, StoreSnapshot, StoredPosition, WriteBatch } from './store';
export { MemoryStore } from './memory-store';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store';
export { DEFAULT_MAX_RETRY_DELAY_MS, Replica, type ReplicaOptions, type ReplicaLinkState } from './replica';
export { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_CHUNK_ENTRIES } from './snapshot-sender';
export { DataFileLock, DataFileLockedError } from './file-lock';
