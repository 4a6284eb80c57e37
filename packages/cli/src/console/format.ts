import type { KvndbError, ReplicaStatus, RouterStatus } from '@kvndb/shared';

/**
 * How the console shows data. The rules keep every display unambiguous and safe for a
 * terminal:
 *
 * - printable UTF-8 is shown as it is;
 * - UTF-8 with control characters (or that would read as one of the forms below) is shown
 *   double-quoted with escapes, in the syntax the tokenizer reads back, so it can be
 *   pasted into a `set`;
 * - bytes that are not UTF-8 are shown as `<hex:...>`;
 * - a missing value is `(nil)`.
 */

export const NIL = '(nil)';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Characters that must not reach a terminal raw: C0/C1 controls and DEL, line and
 * paragraph separators, and the bidi overrides that can make text display in a different
 * order than it is stored.
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/u;

/** Decodes bytes as UTF-8, or null if they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export function formatValue(value: Uint8Array | null | undefined): string {
  if (value === null || value === undefined) return NIL;
  const text = decodeUtf8(value);
  if (text === null) return `<hex:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}>`;
  return formatText(text);
}

/** A key (always a string) or a UTF-8 value. */
export function formatText(text: string): string {
  if (text === '' || UNSAFE.test(text) || text.startsWith('"') || text.startsWith('<hex:') || text === NIL) {
    return quote(text);
  }
  return text;
}

/** A double-quoted form the tokenizer reads back to the same string. */
export function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (UNSAFE.test(ch)) out += '\\u{' + code.toString(16) + '}';
    else out += ch;
  }
  return out + '"';
}

/** JSON form of a value: a string when it is UTF-8, `{hex}` when it is not, null when missing. */
export function jsonValue(value: Uint8Array | null | undefined): string | { hex: string } | null {
  if (value === null || value === undefined) return null;
  const text = decodeUtf8(value);
  return text === null ? { hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') } : text;
}

export const AUTH_HINT =
  'hint: pass the password with --password P, the KVNDB_PASSWORD environment variable, or --password-file FILE';
export const NO_REPLICAS_HINT =
  'hint: no replica is in sync; attach one with `kvndb memory HOST PORT` or `kvndb sqlite HOST PORT FILE`, or check `status`';

/** `(error) CODE: message`, and for two common causes a line saying what to do. */
export function formatError(err: Pick<KvndbError, 'code' | 'message'>): string[] {
  const lines = [`(error) ${err.code}: ${err.message.replace(/\s*\n\s*/g, ' ')}`];
  const hint = hintFor(err.code);
  if (hint) lines.push(hint);
  return lines;
}

export function hintFor(code: string): string | undefined {
  if (code === 'AUTH_FAILED') return AUTH_HINT;
  if (code === 'NO_REPLICAS') return NO_REPLICAS_HINT;
  return undefined;
}

export function jsonError(err: Pick<KvndbError, 'code' | 'message'>): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}

/** Lays out rows as columns padded to the widest cell, two spaces apart. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, `${s}s`].filter(Boolean) as string[];
  return (d ? parts.slice(0, 3) : parts).join(' ');
}

function rate(n: number): string {
  return Number.isFinite(n) ? (n >= 100 ? Math.round(n).toString() : n.toFixed(1)) : '-';
}

export const PROGRESS_BAR_WIDTH = 20;

/** `[#####...............]`: plain ASCII, so it survives any terminal, log or pipe. */
export function progressBar(fraction: number, width = PROGRESS_BAR_WIDTH): string {
  const clamped = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const filled = Math.floor(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The resync column: a bar, percent, keys, bytes, speed and ETA of a running resync. */
export function formatProgress(replica: ReplicaStatus): string {
  const r = replica.resync;
  if (!r) return '-';
  if (r.waitingForSource) return 'full resync waiting: no replica in sync holds the data to copy from';
  const parts: string[] = [r.mode];
  if (r.totalKeys !== undefined && r.totalKeys !== null && r.totalKeys > 0) {
    const fraction = Math.min(1, r.keysDone / r.totalKeys);
    parts.push(progressBar(fraction), `${Math.floor(fraction * 100)}%`, `${r.keysDone}/${r.totalKeys} keys`);
  } else {
    parts.push(`${r.keysDone} keys`);
  }
  parts.push(formatBytes(r.bytesDone), `${formatBytes(r.bytesPerSec)}/s`);
  if (r.etaMs !== undefined && r.etaMs !== null) parts.push(`ETA ${formatDuration(r.etaMs)}`);
  if (r.source) parts.push(`from ${r.source}`);
  return parts.join(' ');
}

/** The `status` command's readable form. */
export function formatStatus(status: RouterStatus): string[] {
  const lines = table([
    ['router', `kvndb ${status.version} (protocol ${status.protocol}), up ${formatDuration(status.uptimeMs)}`],
    ['epoch', String(status.epoch)],
    ['seq', String(status.seq)],
    ['write-ack', status.writeAck],
    ['clients', String(status.clients)],
    [
      'ops',
      `reads ${status.ops.reads} (${rate(status.ops.readsPerSec)}/s), writes ${status.ops.writes} (${rate(status.ops.writesPerSec)}/s)`,
    ],
    ['replicas', `${status.replicas.length} (${status.replicas.filter((r) => r.state === 'in-sync').length} in sync)`],
  ]);
  if (status.waitingFor) lines.push('', `NOT SERVING: ${formatText(status.waitingFor)}`);
  if (status.replicas.length > 0) {
    const rows = [['NAME', 'ADDRESS', 'STATE', 'SEQ', 'LAG', 'READS', 'PROGRESS']];
    for (const r of status.replicas) {
      rows.push([formatText(r.name), r.address, r.state, String(r.seq), String(r.lag), String(r.inflightReads), formatProgress(r)]);
    }
    lines.push('', ...table(rows).map((line) => '  ' + line));
    for (const r of status.replicas) {
      if (r.conflict) lines.push(`  ${formatText(r.name)} is out of service: ${formatText(r.conflict)}`);
    }
  }
  if (status.monitor) lines.push('', `web monitor: ${formatText(status.monitor)} (metrics at ${formatText(status.monitor)}metrics)`);
  return lines;
}
