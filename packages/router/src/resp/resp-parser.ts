/**
 * Push parser for Redis protocol requests (RESP2 arrays of bulk strings, and inline
 * commands as redis-cli sends when typed by hand). Like the native FrameDecoder it never
 * touches a socket and checks every declared length before buffering it.
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

export class RespParser {
  private buf: Buffer | null = null;
  private failed = false;
  /** Start and end offset of each argument of the command being parsed (doubles: a buffer may pass 2 GiB). */
  private bounds = new Float64Array(2 * KEPT_BOUNDS);

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

  get bufferedBytes(): number {
    return this.buf ? this.buf.length : 0;
  }

  write(chunk: Buffer): void {
    if (this.failed) return;
    const data = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = null;
    let off = 0;
    while (off < data.length && !this.failed) {
      const next = data[off] === 42 /* '*' */ ? this.parseArray(data, off) : this.parseInline(data, off);
      if (next < 0) break;
      off = next;
    }
    if (!this.failed && off < data.length) this.buf = Buffer.from(data.subarray(off));
  }

  private fail(message: string): number {
    this.failed = true;
    this.buf = null;
    this.options.onError(message);
    return -1;
  }

  /** Returns the offset after the command, or -1 when more data is needed (or on error). */
  private parseArray(data: Buffer, start: number): number {
    const line = readLine(data, start + 1);
    if (line === null) return this.needMore(data, start, 64);
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
      if (off >= data.length) return -1;
      if (data[off] !== 36 /* '$' */) return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(data[off])}'`);
      const end = readLine(data, off + 1);
      if (end === null) return this.needMore(data, off, 32);
      const len = parseInteger(data, off + 1, end);
      if (len === null || len < 0) return this.fail('Protocol error: invalid bulk length');
      if (len > this.maxBulkBytes) {
        return this.fail(
          this.unauthenticated
            ? `Protocol error: unauthenticated bulk length (${len} bytes; at most ${this.maxBulkBytes} before AUTH)`
            : `Protocol error: bulk of ${len} bytes exceeds the limit of ${this.maxBulkBytes}`,
        );
      }
      const bodyStart = end + 2;
      if (data.length < bodyStart + len + 2) return -1;
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

  private parseInline(data: Buffer, start: number): number {
    const lf = data.indexOf(LF, start);
    if (lf < 0) return this.needMore(data, start, this.options.maxInlineBytes);
    const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
    const text = data.toString('utf8', start, end).trim();
    if (text.length > 0) {
      const args = text.split(/\s+/).map((s) => Buffer.from(s));
      this.options.onCommand(args);
    }
    return lf + 1;
  }

  /** Incomplete header: fine unless it is already longer than any valid one. */
  private needMore(data: Buffer, start: number, limit: number): number {
    if (data.length - start > limit) return this.fail('Protocol error: too big inline request or header');
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
