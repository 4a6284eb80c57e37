export type { Store, StoreSnapshot, StoredPosition, WriteBatch } from './store/store';
export { MemoryStore } from './store/memory-store';
export { DEFAULT_CACHE_BYTES, SqliteStore, type SqliteStoreOptions } from './store/sqlite-store';
export { DEFAULT_MAX_RETRY_DELAY_MS, Replica, type ReplicaOptions, type ReplicaLinkState } from './replica';
export { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_CHUNK_ENTRIES } from './snapshot/snapshot-sender';
export { DataFileLock, DataFileLockedError } from './store/file-lock';
export { SqliteReader } from './store/sqlite-reader';
export { ReplicaThread, type ReplicaThreadOptions } from './thread/replica-thread';
