import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { ErrorCode, KvndbError, PortTransport, type Logger } from '@kvndb/shared';
import { DataFileLockedError } from '../store/file-lock';

export interface ReplicaThreadOptions {
  /** The SQLite file (created if missing, locked like any replica's). */
  file: string;
  sync?: 'normal' | 'full';
  /** The thread's store's read cache (sqlite-store.ts). */
  cacheBytes?: number;
  /** The replica secret. */
  password?: string;
  /** The replica's name, and the transport's: its links are `${name}#N` on the router. */
  name: string;
  /** The thread's log lines are written through this logger. */
  logger: Logger;
  verbose?: boolean;
}

/** What the thread is started with (replica-thread-main.ts). */
export interface ReplicaThreadData {
  file: string;
  sync: 'normal' | 'full';
  cacheBytes: number | undefined;
  password: string | undefined;
  name: string;
  verbose: boolean;
  /** The thread's end of the PortTransport's control port: it dials the router through it. */
  link: MessagePort;
}

/** Messages from the thread. */
export type FromReplicaThread =
  | { opened: true }
  | { failed: { message: string; lockFile?: string; holderPid?: number | null } }
  | { log: [level: string, message: string] }
  | { inSync: true };

/** Messages to the thread. */
export type ToReplicaThread = { stop: true };

/** How long stop() waits for the thread to close its store before terminating it. */
const STOP_WAIT_MS = 10000;

/**
 * The thread's code: compiled next to this file. Jest runs this file from the TypeScript
 * sources, where a worker cannot load the .ts entry; it takes the compiled one instead.
 */
function entryFile(): string {
  const here = path.join(__dirname, 'replica-thread-main.js');
  if (existsSync(here)) return here;
  return path.resolve(__dirname, '../../dist/thread/replica-thread-main.js');
}

/**
 * A SQLite replica on its own worker thread (`kvndb standalone`'s embedded replica), so
 * that SQLite's work runs on another core than the router's event loop. It reaches the
 * router through `transport` (a PortTransport: the router serves it like any other),
 * applies and commits writes on its thread, and acknowledges each once committed, exactly
 * as a replica in another process does. The router reads the same file from its own thread
 * (store/sqlite-reader.ts).
 *
 * The thread's death is a replica's: its link closes, the router stops counting it, and
 * the router logs it as lost. This object logs why, and emits 'exit' (code).
 *
 * Events: 'in-sync' (), 'exit' (code: number).
 */
export class ReplicaThread extends EventEmitter {
  /** Serve this on the router (router.serve) for the thread to join it. */
  readonly transport: PortTransport;
  private readonly logger: Logger;
  private readonly worker: Worker;
  private readonly control: MessagePort;
  private stopping = false;
  private exited: Promise<number>;
  private _alive = true;

  private constructor(
    readonly options: ReplicaThreadOptions,
    opened: (err: Error | null) => void,
  ) {
    super();
    this.logger = options.logger;
    const { port1, port2 } = new MessageChannel();
    this.control = port1;
    this.transport = new PortTransport(port1, options.name);
    const data: ReplicaThreadData = {
      file: options.file,
      sync: options.sync ?? 'normal',
      cacheBytes: options.cacheBytes,
      password: options.password,
      name: options.name,
      verbose: options.verbose === true,
      link: port2,
    };
    this.worker = new Worker(entryFile(), { workerData: data, transferList: [port2] });
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      opened(err);
    };
    this.worker.on('message', (m: FromReplicaThread) => {
      if ('log' in m) this.logger.log(m.log[0], m.log[1]);
      else if ('inSync' in m) this.emit('in-sync');
      else if ('opened' in m) settle(null);
      else if ('failed' in m) {
        const f = m.failed;
        settle(
          f.lockFile !== undefined
            ? new DataFileLockedError(options.file, f.lockFile, f.holderPid ?? null)
            : new KvndbError(ErrorCode.REPLICA_ERROR, f.message),
        );
      }
    });
    this.worker.on('error', (err) => {
      // An exception the thread did not catch: it ends the thread ('exit' follows).
      this.logger.error(`the embedded replica's thread failed: ${err.stack ?? err.message}`);
      settle(new KvndbError(ErrorCode.REPLICA_ERROR, `the embedded replica's thread failed: ${err.message}`, { cause: err }));
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this._alive = false;
        this.control.close();
        settle(new KvndbError(ErrorCode.REPLICA_ERROR, `the embedded replica's thread exited (code ${code}) before it opened ${options.file}`));
        if (!this.stopping) {
          this.logger.error(
            `the embedded replica's thread exited (code ${code}): this router has lost its replica; ` +
              'reads and writes fail with NO_REPLICAS unless another replica is attached; restart kvndb standalone to bring it back',
          );
        }
        this.emit('exit', code);
        resolve(code);
      });
    });
  }

  /**
   * Start the thread; resolves once it has opened (and locked) the file, rejects with why it
   * could not (DataFileLockedError when another process serves the file).
   */
  static open(options: ReplicaThreadOptions): Promise<ReplicaThread> {
    return new Promise((resolve, reject) => {
      const thread: ReplicaThread = new ReplicaThread(options, (err) => {
        if (err === null) {
          resolve(thread);
          return;
        }
        reject(err);
        // A thread that could not open its file has nothing to do: let it go.
        void thread.stop();
      });
    });
  }

  /** Whether the thread is still running. */
  get alive(): boolean {
    return this._alive;
  }

  /** Close the link, close the store (its last checkpoint included) and end the thread. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (this._alive) this.worker.postMessage({ stop: true } satisfies ToReplicaThread);
    }
    if (!this._alive) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_WAIT_MS)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.logger.warn(`the embedded replica's thread did not stop within ${STOP_WAIT_MS / 1000} s: terminating it`);
      await this.worker.terminate();
      await this.exited;
    }
  }
}
