export * from './protocol/opcodes';
export * from './protocol/errors';
export * from './protocol/limits';
export * from './protocol/keys';
export * from './codec/codec';
export * from './codec/latin1-bytes';
export * from './handshake/auth';
export * from './protocol/types';
export * from './protocol/write-ops';
export * from './protocol/changes';
export * from './protocol/int64';
export * from './protocol/lists';
export * from './protocol/content-type';
export * from './net/transport';
export * from './net/in-process-transport';
export * from './net/port-transport';
export * from './net/framed-connection';
export * from './net/heartbeat';
export * from './net/stream-closer';
export * from './net/id-ring';
export * from './net/backpressure';
export * from './logging';

/** The kvndb release this build belongs to. */
export const KVNDB_VERSION = '0.1.0';
export * from './handshake/peer-handshake';

// Hot-path values as plain data properties. Compiled to CommonJS, `export *` gives every
// name a getter, which each `Op.GET` in another package then calls (2% of the router's CPU
// under load); a local export wins over the star export and is a plain property.
import { Op as OpTable, WriteKind as WriteKindTable } from './protocol/opcodes';
import { encodeFrame as encodeFrameFn } from './codec/codec';
import { encodeLatin1BinFrame as encodeLatin1BinFrameFn } from './codec/small-frame';
export const Op = OpTable;
export const WriteKind = WriteKindTable;
export const encodeFrame = encodeFrameFn;
export const encodeLatin1BinFrame = encodeLatin1BinFrameFn;
export * from './commands';
