/** @kvndb/client: the kvndb client library. One import gives the client, its types and the errors. */
export { connect, KvndbClient } from './client';
export type { ConnectOptions } from './options';
export type { ReconnectingInfo } from './reconnector';
export type { Watch, WatchOptions } from './watch';
export type { Subscription } from './subscriptions';
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
  type PutResult,
  type Entry,
  type LatestEntry,
  type ExpireOptions,
  type Transport,
  InProcessTransport,
  type TlsMaterial,
  type TransportType,
  type WelcomeInfo,
  type ChangeEvent,
  type ChangeType,
  type WaitOptions,
  type Waited,
  type PubSubMessage,
  type SubscriberCounts,
} from '@kvndb/shared';
