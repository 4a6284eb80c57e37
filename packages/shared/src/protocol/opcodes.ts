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
  // The data model (docs/PROTOCOL.md "Commands" gives each message's fields)
  LATEST: 25, // [LATEST, id, keys[]]
  TTL: 26, // [TTL, id, key]
  STRLEN: 27, // [STRLEN, id, key]
  GETRANGE: 28, // [GETRANGE, id, key, start, end]
  RANDOMKEY: 29, // [RANDOMKEY, id]
  PUT: 34, // [PUT, id, key, value, flags?] -> [applied, version]
  INCR: 35, // [INCR, id, key, delta]
  INCRFLOAT: 36, // [INCRFLOAT, id, key, delta]
  APPEND: 37, // [APPEND, id, key, bytes]
  SETRANGE: 38, // [SETRANGE, id, key, offset, bytes]
  EXPIRE: 39, // [EXPIRE, id, key, px|nil, at|nil, cond]
  GETDEL: 41, // [GETDEL, id, key]
  GETEX: 42, // [GETEX, id, key, px|nil, at|nil, persist]
  MOVE: 43, // [MOVE, id, from, to, flags]  (RENAME, RENAMENX, COPY)
  FLUSH: 44, // [FLUSH, id]
  TXN: 45, // [TXN, id, if[], then[], else[]]
  TIME: 46, // [TIME, id]
  COUNT: 47, // [COUNT, id] -> [keys, keys with an expiry]

  // Streams: one request opens a stream, whose events the router pushes as
  // [EVENT, streamId, ...payload] (streamId = the id of the request that opened it).
  EVENT: 72, // router -> client: [EVENT, streamId, ...payload]

  // Pub/sub (docs/PROTOCOL.md "Pub/sub"); messages pass through the router, never stored
  SUBSCRIBE: 75, // [SUBSCRIBE, id, channels[]] -> channels in the stream; events [EVENT, id, 'message', channel, bytes]
  PSUBSCRIBE: 76, // [PSUBSCRIBE, id, patterns[]] -> patterns in the stream; events [EVENT, id, 'pmessage', pattern, channel, bytes]
  UNSUBSCRIBE: 77, // [UNSUBSCRIBE, id, streamId] -> whether the stream was open
  PUBLISH: 78, // [PUBLISH, id, channel, bytes] -> receivers
  PUBSUB_CHANNELS: 79, // [PUBSUB_CHANNELS, id, pattern|nil] -> channels[]
  PUBSUB_NUMSUB: 80, // [PUBSUB_NUMSUB, id, channels[]] -> [subscribers[], patterns]

  // Router <-> replica replication stream
  WRITE: 50, // router -> replica: [WRITE, epoch, seq, ops[], time]
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
  CLOCK: 61, // router -> replica: [CLOCK, time]: the router time of the reads that follow on this link
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
