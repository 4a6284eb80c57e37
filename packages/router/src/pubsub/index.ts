export { PubSubBroker } from './broker';
export { Subscriber, channelOf, channelBytes } from './subscriber';
export { globMatch } from './glob-match';
export { OutputGuard, DEFAULT_PUBSUB_OUTPUT_LIMIT, parseOutputLimitConfig, formatOutputLimitConfig, type OutputLimit } from './output-limit';
export { KeyspaceNotifier } from './keyspace-notifier';
export { parseNotifyFlags, formatNotifyFlags, keyEvents, Notify, type KeyEvent } from './keyspace-events';
