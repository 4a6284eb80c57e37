/**
 * Wire opcodes. Every message is a MessagePack array whose first element is one of these.
 * docs/PROTOCOL.md documents each message field by field; keep the two in step.
 */
export const PROTOCOL_VERSION = 1;

export const Op = {
  // Handshake
  HELLO: 1, // peer -> router: [HELLO, version, role, info]
  CHALLENGE: 2, // router -> peer: [CHALLENGE, version, nonce]
  AUTH: 3, // peer -> router: [AUTH, proof]
  WELCOME: 4, // router -> peer: [WELCOME, info]

  // Responses (any request carrying an id)
  RESULT: 10, // [RESULT, id, value]
  ERROR: 11, // [ERROR, id, code, message, details?]  id 0 = connection-level error

  // Requests from clients (and, for reads, from the router to a replica)
  PING: 20, // [PING, id]
  GET: 21, // [GET, id, key]
  HAS: 22, // [HAS, id, key]
  MGET: 23, // [MGET, id, keys[]]
  KEYS: 24, // [KEYS, id, prefix, limit, cursor|nil]
  SET: 30, // [SET, id, key, value, flags?]
  DEL: 31, // [DEL, id, key]
  MSET: 32, // [MSET, id, [[key, value], ...]]
  BATCH: 33, // [BATCH, id, ops[]]
  STATUS: 40, // [STATUS, id]

  // Router <-> replica replication stream
  WRITE: 50, // router -> replica: [WRITE, epoch, seq, ops[]]
  WRITE_ACK: 51, // replica -> router: [WRITE_ACK, seq, results[]]
  SYNC_START: 52, // router -> replica: [SYNC_START, mode, epoch, seq, info]
  SYNC_DONE: 53, // router -> replica: [SYNC_DONE, epoch, seq]
  SNAPSHOT_REQUEST: 54, // router -> source: [SNAPSHOT_REQUEST, resyncId, epoch, seq, window]
  SNAPSHOT_CHUNK: 55, // source -> router -> joiner: [SNAPSHOT_CHUNK, resyncId, entries[[k, v]...]]
  SNAPSHOT_END: 56, // source -> router -> joiner: [SNAPSHOT_END, resyncId, totalKeys]
  SNAPSHOT_ACK: 57, // joiner -> router: [SNAPSHOT_ACK, resyncId, chunks]
  SNAPSHOT_CREDIT: 58, // router -> source: [SNAPSHOT_CREDIT, resyncId, chunks]
  SNAPSHOT_ABORT: 59, // either way: [SNAPSHOT_ABORT, resyncId, reason]
  WRITE_ACKS: 60, // replica -> router: [WRITE_ACKS, firstSeq, [results[], ...]] for consecutive writes
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export const OP_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Op).map(([name, code]) => [code, name]),
);

/** Kinds of single writes inside a WRITE/BATCH op list. */
export const WriteKind = {
  SET: 's',
  DEL: 'd',
} as const;

export type Role = 'client' | 'replica';
