export * from './opcodes';
export * from './errors';
export * from './limits';
export * from './keys';
export * from './codec';
export * from './auth';
export * from './types';
export * from './transport';
export * from './connection';
export * from './heartbeat';
export * from './logging';

/** The kvndb release this build belongs to. */
export const KVNDB_VERSION = '0.1.0';
export * from './peer-handshake';
