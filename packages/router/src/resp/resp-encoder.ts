/** RESP2 reply encoding. Small and allocation-light: replies are concatenated per tick. */
const CRLF = '\r\n';

export const OK = Buffer.from('+OK\r\n');
export const PONG = Buffer.from('+PONG\r\n');
export const NULL_BULK = Buffer.from('$-1\r\n');
export const NULL_ARRAY = Buffer.from('*-1\r\n');
export const EMPTY_ARRAY = Buffer.from('*0\r\n');

export function simple(s: string): Buffer {
  return Buffer.from(`+${s}${CRLF}`);
}

/** `message` starts with the error code word, as Redis does ("ERR ...", "NO_REPLICAS ..."). */
export function error(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}${CRLF}`);
}

export function integer(n: number): Buffer {
  return Buffer.from(`:${n}${CRLF}`);
}

export function bulk(value: Uint8Array | string | null | undefined): Buffer {
  if (value === null || value === undefined) return NULL_BULK;
  const body = typeof value === 'string' ? Buffer.from(value) : value;
  const head = Buffer.from(`$${body.length}${CRLF}`);
  const out = Buffer.allocUnsafe(head.length + body.length + 2);
  head.copy(out, 0);
  out.set(body, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

export type Reply = Buffer | string | number | null | Uint8Array | Reply[];

/** Arrays of bulk strings, integers, nils and nested arrays. */
export function array(items: Reply[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${items.length}${CRLF}`)];
  for (const item of items) parts.push(encodeReply(item));
  return Buffer.concat(parts);
}

function encodeReply(item: Reply): Buffer {
  if (item === null) return NULL_BULK;
  if (typeof item === 'number') return integer(item);
  if (typeof item === 'string') return bulk(item);
  if (Array.isArray(item)) return array(item);
  return bulk(item);
}
