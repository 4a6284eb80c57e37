import fs from 'node:fs';
import Database from 'better-sqlite3';
import { ErrorCode, KvndbError } from '@kvndb/shared';

/** Where the pid of the holder is kept in the lock file: SQLite's header field user_version (offset 60, 4 bytes, big-endian). */
const USER_VERSION_OFFSET = 60;

/** Another process already serves this data file. Command-line front ends report it as a usage error. */
export class DataFileLockedError extends KvndbError {
  constructor(
    readonly file: string,
    readonly lockFile: string,
    readonly holderPid: number | null,
  ) {
    super(
      ErrorCode.REPLICA_ERROR,
      `${file} is already served by ${holderPid === process.pid ? 'this process' : `another kvndb process${holderPid ? ` (pid ${holderPid})` : ''}`}; ` +
        `two processes must never serve one SQLite file: stop that one or use another file (lock: ${lockFile})`,
      { details: { file, lockFile, holderPid } },
    );
    this.name = 'DataFileLockedError';
  }
}

/**
 * An exclusive lock on a data file, held for as long as this process keeps it open, and
 * released by the operating system when the process dies, SIGKILL included.
 *
 * The lock is a companion SQLite database, `<file>-lock`, opened in EXCLUSIVE locking mode
 * and written once: from then on SQLite holds its exclusive file lock (fcntl on Unix,
 * LockFileEx on Windows) until the connection closes. A second process, or a second
 * connection in this one, gets SQLITE_BUSY at once. The data file itself stays unlocked, so
 * readers can still open it read-only beside the running replica (and the replica's own
 * snapshot connection can). A pid file alone would outlive a killed process and need
 * guessing whether it is stale; a lock the kernel drops with the process never does.
 *
 * The holder writes its pid into the lock file's header (user_version): fcntl locks are
 * advisory, so the next process can read those four bytes to name who holds the file.
 */
export class DataFileLock {
  /**
   * Locks this process holds, by the lock file's device and inode. POSIX fcntl locks belong to
   * the process, and closing any descriptor of the file drops them all: so a second attempt in
   * this process is answered from here, and never opens the file to read the holder's pid.
   */
  private static readonly held = new Map<string, DataFileLock>();
  readonly lockFile: string;
  private key: string | null = null;
  private db: Database.Database | null;

  private constructor(
    readonly file: string,
    lockFile: string,
    db: Database.Database,
  ) {
    this.lockFile = lockFile;
    this.db = db;
  }

  /** Take the lock on `file`, or throw DataFileLockedError (someone holds it) or REPLICA_ERROR (cannot create the lock file). */
  static acquire(file: string): DataFileLock {
    const lockFile = `${file}-lock`;
    const mine = inodeKey(lockFile);
    if (mine !== null && DataFileLock.held.has(mine)) throw new DataFileLockedError(file, lockFile, process.pid);
    let db: Database.Database;
    try {
      // timeout 0: never wait for a holder, refuse at once.
      db = new Database(lockFile, { timeout: 0 });
    } catch (err) {
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot open SQLite database ${file}: cannot create its lock file ${lockFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      // No journal file beside the lock file; it holds nothing worth a rollback.
      db.pragma('journal_mode = MEMORY');
      db.exec('BEGIN EXCLUSIVE');
      db.pragma(`user_version = ${process.pid & 0x7fffffff}`);
      // In EXCLUSIVE locking mode the exclusive lock outlives the commit: it is held until close.
      db.exec('COMMIT');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new DataFileLockedError(file, lockFile, readHolderPid(lockFile));
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot lock SQLite database ${file} (lock file ${lockFile}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    const lock = new DataFileLock(file, lockFile, db);
    lock.key = inodeKey(lockFile);
    if (lock.key !== null) DataFileLock.held.set(lock.key, lock);
    return lock;
  }

  get held(): boolean {
    return this.db !== null;
  }

  release(): void {
    const db = this.db;
    this.db = null;
    if (this.key !== null && DataFileLock.held.get(this.key) === this) DataFileLock.held.delete(this.key);
    this.key = null;
    if (db?.open) db.close();
  }
}

function inodeKey(file: string): string | null {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/** The holder's pid from the lock file's header, or null when it cannot be read. Only for a lock held by another process. */
function readHolderPid(lockFile: string): number | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(lockFile, 'r');
    const header = Buffer.alloc(4);
    if (fs.readSync(fd, header, 0, 4, USER_VERSION_OFFSET) !== 4) return null;
    const pid = header.readUInt32BE(0);
    return pid > 0 ? pid : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
