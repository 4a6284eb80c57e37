export { Router, type RouterOptions } from './router';
export type { AppliedWrite, WriteAckPolicy } from './writes/write-sequencer';
export type { ReplySink } from './requests/reply-sink';
export { RespServer, type RespServerOptions, type RespBackend } from './resp/resp-server';
export { PubSubBroker, Subscriber, KeyspaceNotifier, parseNotifyFlags, type OutputLimit } from './pubsub';
export { HttpServer, type HttpServerOptions } from './http/http-server';
export type { WatcherMetricsSource } from './http/metrics';
export { Door, type RequestStats } from './requests/request-stats';
export type { RouterInternals } from './router';
