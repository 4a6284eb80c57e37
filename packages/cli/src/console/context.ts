import type { ChangeEvent, Entry, KeysPage, LatestEntry, PubSubMessage, RouterStatus, WriteResult } from '@kvndb/shared';

/** A write inside an atomic batch, as the client takes it. */
export type ConsoleBatchOp = { op: 'set'; key: string; value: Uint8Array } | { op: 'del'; key: string };

/**
 * The part of the kvndb client the console uses. The console is written against this
 * rather than the client class so its commands can be tested without a cluster; the real
 * client satisfies it (checked where cmd.ts passes one in).
 */
export interface ConsoleClient {
  getBuffer(key: string, options?: { waitMs?: number }): Promise<Uint8Array | null>;
  watch(prefix: string, options?: { fromSeq?: number }): ConsoleWatch;
  set(key: string, value: Uint8Array, options?: { ttlMs?: number }): Promise<unknown>;
  expire(key: string, ttlMs: number): Promise<boolean>;
  ttl(key: string): Promise<number>;
  persist(key: string): Promise<boolean>;
  del(key: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  keys(prefix: string, options: { limit?: number; cursor?: string | null }): Promise<KeysPage>;
  mgetBuffer(keys: string[]): Promise<Array<Uint8Array | null>>;
  mset(entries: Array<[string, Uint8Array]>): Promise<unknown>;
  batch(ops: ConsoleBatchOp[]): Promise<WriteResult[]>;
  ping(): Promise<unknown>;
  status(): Promise<RouterStatus>;
  getEntry(key: string): Promise<Entry | null>;
  latest(keys: string[]): Promise<LatestEntry | null>;
  incrBig(key: string, by?: bigint | number | string): Promise<bigint>;
  append(key: string, value: Uint8Array): Promise<number>;
  strlen(key: string): Promise<number>;
  rename(key: string, to: string): Promise<boolean>;
  copy(from: string, to: string, options?: { replace?: boolean }): Promise<boolean>;
  flush(): Promise<unknown>;
  push(key: string, ...values: Uint8Array[]): Promise<number>;
  popBuffer(key: string, options?: { waitMs?: number; end?: 'head' | 'tail' }): Promise<Uint8Array | null>;
  peekBuffer(key: string): Promise<Uint8Array | null>;
  publish(channel: string, message: Uint8Array): Promise<number>;
  subscribe(channels: string[], onMessage: (m: PubSubMessage) => void): Promise<{ unsubscribe(): Promise<void> }>;
  psubscribe(patterns: string[], onMessage: (m: PubSubMessage) => void): Promise<{ unsubscribe(): Promise<void> }>;
}

/** A live watch as the console uses it (the client's Watch). */
export interface ConsoleWatch extends AsyncIterable<ChangeEvent> {
  readonly started: Promise<number>;
  close(): void;
}

/** What a command produced: the JSON form (--json) and the text form (one line each). */
export interface Reply {
  json: unknown;
  text: string[];
}

/** Where a `keys` listing left off, for `more`. */
export interface KeysPager {
  prefix: string;
  cursor: string;
}

export interface ConsoleContext {
  client: ConsoleClient;
  /** A person at a terminal: page long listings, show hints. */
  interactive: boolean;
  json: boolean;
  /**
   * Terminal width in columns when output goes to a terminal, so listings can be laid out
   * in columns; null (a pipe, a file, --json) means one item per line.
   */
  width: number | null;
  /** Text output as it happens (long listings stream instead of building one reply). */
  print(line: string): void;
  /** Resolves once printed output has been taken by the terminal or pipe. */
  flush(): Promise<void>;
  /** Set by Ctrl+C; long-running commands stop at the next page. */
  aborted: boolean;
  pager: KeysPager | null;
  /** Set by quit/exit. */
  quitting: boolean;
  /** Asks the person at the terminal yes or no (a command typed on the shell's command line); absent elsewhere. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface ConsoleCommand {
  name: string;
  aliases: string[];
  /** `get KEY`: arguments in upper case, optional ones in brackets. */
  usage: string;
  /** One line for the command list; `help NAME` shows it with the usage. */
  help: string;
  minArgs: number;
  maxArgs: number;
  /** Which arguments are keys, for tab completion: the first one, or every one. */
  completesKeys?: 'first' | 'all';
  /** Option words it accepts anywhere (`keys --all`): not counted as arguments for completion. */
  flags?: readonly string[];
  run(ctx: ConsoleContext, args: Buffer[]): Promise<Reply>;
}
