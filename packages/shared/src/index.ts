export * from './opcodes';
export * from './errors';
export * from './limits';
export * from './keys';
export * from './codec';
export * from './auth';
export * from './types';
export * from './net/transport';
export * from './net/in-process-transport';
export * from './connection';
export * from './heartbeat';
export * from './logging';

/** The kvndb release this build belongs to. */
export const KVNDB_VERSION = '0.1.0';
export * from './peer-handshake';

// Hot-path values as plain data properties. Compiled to CommonJS, `export *` gives every
// name a getter, which each `Op.GET` in another package then calls (2% of the router's CPU
// under load); a local export wins over the star export and is a plain property.
import { Op as OpTable, WriteKind as WriteKindTable } from './opcodes';
import { encodeFrame as encodeFrameFn } from './codec';
import { encodeLatin1BinFrame as encodeLatin1BinFrameFn } from './small-frame';
export const Op = OpTable;
export const WriteKind = WriteKindTable;
export const encodeFrame = encodeFrameFn;
export const encodeLatin1BinFrame = encodeLatin1BinFrameFn;
export * from './commands';
