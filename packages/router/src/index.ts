export { Router, type RouterOptions } from './router';
export type { WriteAckPolicy } from './write-sequencer';

// Internals, exported for tests and for tools that embed parts of the router.
export { WriteSequencer, ResultShape, requiredAcks, type WriteTarget } from './write-sequencer';
export { WriteBacklog } from './write-backlog';
export { ReadBalancer, MAX_READ_ATTEMPTS, type ReadTarget } from './read-balancer';
export { ReadRequest } from './read-request';
export { CallbackSink, type ReplySink } from './reply-sink';
export { AuthThrottle } from './auth-throttle';
export { chooseSource, JoinWindow } from './join-window';
export { RespServer, type RespServerOptions, type RespBackend } from './resp/resp-server';
