/**
 * @kvndb/cli: the `kvndb` binary (bin.ts). Exported for tests and for embedding the
 * console: the parser, the console session and its formatting.
 */
export { buildCli, main } from './cli';
export { ConsoleSession, runLines } from './console/session';
export type { SessionOptions } from './console/session';
export { runRepl, promptFor, complete } from './console/repl';
export { commandRegistry, resolveCommand } from './console/index';
export type { ConsoleClient, ConsoleCommand, ConsoleContext, Reply } from './console/index';
export { tokenize, tokenizeToStrings } from './console/tokenizer';
export { formatValue, formatText, formatStatus, formatError, jsonValue } from './console/format';
export { isLoopback, checkBindSafety } from './endpoint';
export { resolveSecret, clientSecret, replicaSecret, routerSecrets } from './secrets';
export { UsageError, ExitCode } from './usage-error';
