export { Router, type RouterOptions } from './router';
export type { WriteAckPolicy } from './writes/write-sequencer';

// Internals, exported for tests and for tools that embed parts of the router.
export { WriteSequencer, ResultShape, requiredAcks, type WriteTarget } from './writes/write-sequencer';
export { WriteBacklog } from './writes/write-backlog';
export { ReadBalancer, MAX_READ_ATTEMPTS, type ReadTarget } from './reads/read-balancer';
export { ReadRequest } from './reads/read-request';
export { CallbackSink, type ReplySink } from './requests/reply-sink';
export { AuthThrottle } from './admission/auth-throttle';
export { chooseSource, JoinWindow } from './sync/join-window';
export { RespServer, type RespServerOptions, type RespBackend } from './resp/resp-server';
