/** @kvndb/client: the kvndb client library. One import gives the client, its types and the errors. */
export { connect, KvndbClient } from './client';
export type { ConnectOptions } from './options';
export type { ReconnectingInfo } from './reconnector';
export {
  KvndbError,
  ErrorCode,
  AuthError,
  NoReplicasError,
  TimeoutError,
  ConnectionClosedError,
  VersionMismatchError,
  TooLargeError,
  ProtocolError,
  DEFAULT_PORT,
  DEFAULT_HOST,
  type ErrorCodeName,
  type KeysPage,
  type RouterStatus,
  type ReplicaStatus,
  type ReplicaState,
  type ResyncProgress,
  type WriteResult,
  type Value,
  type BatchOp,
  type SetOptions,
  type Transport,
  InProcessTransport,
  type TlsMaterial,
  type TransportType,
  type WelcomeInfo,
} from '@kvndb/shared';
