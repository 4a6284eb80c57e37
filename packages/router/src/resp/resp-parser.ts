/**
 * Push parser for Redis protocol requests (RESP2 arrays of bulk strings, and inline
 * commands as redis-cli sends when typed by hand). Like the native FrameDecoder it never
 * touches a socket and checks every declared length before buffering it.
 *
 * A command that arrives whole in one chunk (nearly all of them) is parsed in place: its
 * arguments are views of the chunk. A command that spans chunks is not re-read from its
 * start on every chunk: the parser keeps where it is (arguments done so far, the bulk being
 * received), so every byte is copied at most once and a large value costs time and memory
 * linear in its size. A bulk body that does not fit in the chunk goes into one buffer of its
 * declared length, filled as the chunks arrive.
 */
export interface RespParserOptions {
  maxBulkBytes: number;
  maxArgs: number;
  /**
   * Tighter caps until login() (Redis: 10 arguments of at most 16384 bytes before AUTH);
   * breaking one is answered with Redis's "unauthenticated" protocol errors.
   */
  preLogin?: { maxBulkBytes: number; maxArgs: number };
  maxInlineBytes: number;
  onCommand: (args: Buffer[]) => void;
  onError: (message: string) => void;
  /**
   * Optional fast paths for `GET key` and `SET key value` (command name in any letter case):
   * the key comes as a byte range of `data`, so the common commands cost no argument array
   * and no views but the value's. Returning false hands the command to onCommand instead.
   */
  onGet?: (data: Buffer, keyStart: number, keyEnd: number) => boolean;
  onSet?: (data: Buffer, keyStart: number, keyEnd: number, value: Buffer) => boolean;
}

const CR = 13;
const LF = 10;

/** Argument bounds kept between commands; bigger tables are not kept after the command that needed them. */
const KEPT_BOUNDS = 64;

const TOO_BIG_LINE = 'Protocol error: too big inline request or header';
/** Longest unfinished header kept: of the array (`*N`) and of a bulk (`$N`). */
const ARRAY_HEADER_LIMIT = 64;
const BULK_HEADER_LIMIT = 32;

export class RespParser {
  private failed = false;
  /** Start and end offset of each argument of the command being parsed (doubles: a buffer may pass 2 GiB). */
  private bounds = new Float64Array(2 * KEPT_BOUNDS);

  /**
   * An unfinished line kept for the next write: a command's `*N` header, a bulk's `$N`
   * header (both short, checked), or an inline request (at most maxInlineBytes), in pieces
   * joined once its end arrives.
   */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private tailInline = false;

  /** The arguments received so far of an array command that spans writes; null when none is. */
  private args: Buffer[] | null = null;
  /** Its declared argument count. */
  private argCount = 0;
  /** The bulk argument being received, with room for its CRLF, and how much of it has arrived. */
  private bulk: Buffer | null = null;
  private bulkFilled = 0;
  /** Bytes received of the unfinished command (bufferedBytes). */
  private pending = 0;

  private maxBulkBytes: number;
  private maxArgs: number;
  private unauthenticated: boolean;

  constructor(private readonly options: RespParserOptions) {
    const pre = options.preLogin;
    this.unauthenticated = pre !== undefined;
    this.maxBulkBytes = pre ? Math.min(pre.maxBulkBytes, options.maxBulkBytes) : options.maxBulkBytes;
    this.maxArgs = pre ? Math.min(pre.maxArgs, options.maxArgs) : options.maxArgs;
  }

  /** The connection authenticated: the configured limits apply from the next command on. */
  login(): void {
    this.unauthenticated = false;
    this.maxBulkBytes = this.options.maxBulkBytes;
    this.maxArgs = this.options.maxArgs;
  }

  /** Bytes received of a command not complete yet (0 between commands). */
  get bufferedBytes(): number {
    return this.pending;
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    let data = chunk;
    if (this.tailBytes > 0) {
      if (this.tailInline && chunk.indexOf(LF) < 0) {
        // An inline request still without its end: keep the piece, join them all once.
        this.tail.push(chunk);
        this.tailBytes += chunk.length;
        this.pending += chunk.length;
        if (this.tailBytes > this.options.maxInlineBytes) this.fail(TOO_BIG_LINE);
        return;
      }
      this.tail.push(chunk);
      data = Buffer.concat(this.tail, this.tailBytes + chunk.length);
      this.tail = [];
      this.tailBytes = 0;
    }
    let off = 0;
    if (this.args !== null) {
      off = this.resume(data, 0);
      if (off < 0) {
        if (!this.failed) this.pending += chunk.length;
        return;
      }
    }
    this.pending = 0;
    while (off < data.length && !this.failed) {
      const next = data[off] === 42 /* '*' */ ? this.parseArray(data, off) : this.parseInline(data, off);
      if (next < 0) {
        if (!this.failed) this.pending = data.length - off;
        return;
      }
      off = next;
    }
  }

  private fail(message: string): number {
    this.failed = true;
    this.tail = [];
    this.tailBytes = 0;
    this.args = null;
    this.bulk = null;
    this.pending = 0;
    this.options.onError(message);
    return -1;
  }

  /**
   * Returns the offset after the command, or -1 when more data is needed (the command is
   * then carried on by resume() from the next write) or on error.
   */
  private parseArray(data: Buffer, start: number): number {
    const line = readLine(data, start + 1);
    if (line === null) return this.keepLine(data, start, ARRAY_HEADER_LIMIT, false);
    const count = parseInteger(data, start + 1, line);
    if (count === null) return this.fail("Protocol error: invalid multibulk length");
    if (count > this.maxArgs) {
      return this.fail(
        this.unauthenticated
          ? `Protocol error: unauthenticated multibulk length (at most ${this.maxArgs} arguments before AUTH)`
          : `Protocol error: too many arguments (limit ${this.maxArgs})`,
      );
    }
    let off = line + 2;
    if (count <= 0) return off;
    let bounds = this.bounds;
    if (bounds.length < 2 * count) bounds = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      if (off >= data.length) return this.suspend(data, bounds, i, count, off);
      if (data[off] !== 36 /* '$' */) return this.badDollar(data[off]);
      const end = readLine(data, off + 1);
      if (end === null) return this.suspend(data, bounds, i, count, off);
      const len = parseInteger(data, off + 1, end);
      if (len === null || len < 0 || len > this.maxBulkBytes) return this.badBulkLength(len);
      const bodyStart = end + 2;
      if (data.length < bodyStart + len + 2) return this.suspend(data, bounds, i, count, off);
      bounds[2 * i] = bodyStart;
      bounds[2 * i + 1] = bodyStart + len;
      off = bodyStart + len + 2;
    }
    if ((count === 2 || count === 3) && this.fastPath(data, bounds, count)) return off;
    const args: Buffer[] = new Array(count);
    for (let i = 0; i < count; i++) args[i] = data.subarray(bounds[2 * i], bounds[2 * i + 1]);
    this.options.onCommand(args);
    return off;
  }

  /**
   * The command does not end in this chunk: keep its first `parsed` arguments (copied, in
   * one buffer, so the socket chunk they came in is not retained) and carry on from `off`
   * with resume(), which keeps the rest of the chunk (a header piece, or the start of a bulk).
   */
  private suspend(data: Buffer, bounds: Float64Array, parsed: number, count: number, off: number): number {
    const args: Buffer[] = [];
    if (parsed > 0) {
      const base = bounds[0];
      const saved = Buffer.from(data.subarray(base, bounds[2 * parsed - 1]));
      for (let i = 0; i < parsed; i++) args.push(saved.subarray(bounds[2 * i] - base, bounds[2 * i + 1] - base));
    }
    this.args = args;
    this.argCount = count;
    return this.resume(data, off);
  }

  /**
   * Carries on the array command in progress from data[off]: each byte of a bulk that
   * spans writes is copied once, into its own buffer. Returns the offset after the command,
   * or -1 when data ran out (the state is kept for the next write) or on error.
   */
  private resume(data: Buffer, off: number): number {
    const args = this.args as Buffer[];
    for (;;) {
      const bulk = this.bulk;
      if (bulk !== null) {
        const n = Math.min(bulk.length - this.bulkFilled, data.length - off);
        data.copy(bulk, this.bulkFilled, off, off + n);
        this.bulkFilled += n;
        off += n;
        if (this.bulkFilled < bulk.length) return -1;
        this.bulk = null;
        args.push(bulk.subarray(0, bulk.length - 2));
      }
      if (args.length === this.argCount) {
        this.args = null;
        this.pending = 0;
        if ((args.length === 2 || args.length === 3) && this.fastPathArgs(args)) return off;
        this.options.onCommand(args);
        return off;
      }
      if (off >= data.length) return -1;
      if (data[off] !== 36 /* '$' */) return this.badDollar(data[off]);
      const end = readLine(data, off + 1);
      if (end === null) return this.keepLine(data, off, BULK_HEADER_LIMIT, false);
      const len = parseInteger(data, off + 1, end);
      if (len === null || len < 0 || len > this.maxBulkBytes) return this.badBulkLength(len);
      const bodyStart = end + 2;
      if (data.length >= bodyStart + len + 2) {
        args.push(data.subarray(bodyStart, bodyStart + len));
        off = bodyStart + len + 2;
      } else {
        // One buffer of the declared size (checked above), filled as the chunks arrive.
        this.bulk = Buffer.allocUnsafe(len + 2);
        this.bulkFilled = 0;
        off = bodyStart;
      }
    }
  }

  private badDollar(byte: number): number {
    return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(byte)}'`);
  }

  private badBulkLength(len: number | null): number {
    if (len === null || len < 0) return this.fail('Protocol error: invalid bulk length');
    return this.fail(
      this.unauthenticated
        ? `Protocol error: unauthenticated bulk length (${len} bytes; at most ${this.maxBulkBytes} before AUTH)`
        : `Protocol error: bulk of ${len} bytes exceeds the limit of ${this.maxBulkBytes}`,
    );
  }

  /** GET key / SET key value through onGet / onSet; false when it is neither or they decline. */
  private fastPath(data: Buffer, bounds: Float64Array, count: number): boolean {
    const at = bounds[0];
    if (bounds[1] - at !== 3 || (data[at + 1] | 0x20) !== 0x65 /* e */ || (data[at + 2] | 0x20) !== 0x74 /* t */) return false;
    const c0 = data[at] | 0x20;
    const { onGet, onSet } = this.options;
    if (c0 === 0x67 /* g */ && count === 2 && onGet) return onGet(data, bounds[2], bounds[3]);
    if (c0 === 0x73 /* s */ && count === 3 && onSet) return onSet(data, bounds[2], bounds[3], data.subarray(bounds[4], bounds[5]));
    return false;
  }

  /** fastPath for a command that spanned writes, its arguments in separate buffers. */
  private fastPathArgs(args: Buffer[]): boolean {
    const name = args[0];
    if (name.length !== 3 || (name[1] | 0x20) !== 0x65 /* e */ || (name[2] | 0x20) !== 0x74 /* t */) return false;
    const c0 = name[0] | 0x20;
    const { onGet, onSet } = this.options;
    const key = args[1];
    if (c0 === 0x67 /* g */ && args.length === 2 && onGet) return onGet(key, 0, key.length);
    if (c0 === 0x73 /* s */ && args.length === 3 && onSet) return onSet(key, 0, key.length, args[2]);
    return false;
  }

  private parseInline(data: Buffer, start: number): number {
    const lf = data.indexOf(LF, start);
    if (lf < 0) return this.keepLine(data, start, this.options.maxInlineBytes, true);
    const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
    const text = data.toString('utf8', start, end).trim();
    if (text.length > 0) {
      const args = text.split(/\s+/).map((s) => Buffer.from(s));
      this.options.onCommand(args);
    }
    return lf + 1;
  }

  /**
   * An unfinished line (a header or an inline request): fine unless it is already longer
   * than any valid one; kept (copied, so a large socket chunk is not retained) for the next write.
   */
  private keepLine(data: Buffer, start: number, limit: number, inline: boolean): number {
    if (data.length - start > limit) return this.fail(TOO_BIG_LINE);
    this.tail.push(Buffer.from(data.subarray(start)));
    this.tailBytes = data.length - start;
    this.tailInline = inline;
    return -1;
  }
}

function readLine(data: Buffer, from: number): number | null {
  const cr = data.indexOf(CR, from);
  if (cr < 0 || cr + 1 >= data.length) return null;
  return cr;
}

function parseInteger(data: Buffer, from: number, to: number): number | null {
  if (to <= from || to - from > 12) return null;
  let n = 0;
  let neg = false;
  let i = from;
  if (data[i] === 45 /* '-' */) {
    neg = true;
    i++;
  }
  if (i >= to) return null;
  for (; i < to; i++) {
    const c = data[i] - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}
