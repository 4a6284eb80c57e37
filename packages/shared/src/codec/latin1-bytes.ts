/**
 * Bytes held as a one-byte (Latin-1) string: one character per byte, every code point
 * 0-255. V8 keeps such strings compactly on its heap, where the garbage collector can move
 * them; a store that holds small values this way hands them out as they are, and the codec
 * writes them to the wire as a MessagePack bin straight from the string
 * (encodeLatin1BinFrame), with no Buffer in between. The brand keeps an ordinary (UTF-16)
 * string from passing for one.
 */
export type Latin1Bytes = string & { readonly __latin1Bytes: true };

/** A value as a store hands it out for reading: a Buffer, or the same bytes as Latin1Bytes. */
export type StoredBytes = Buffer | Latin1Bytes;

/** The Latin-1 string of `bytes` (a copy: it does not keep `bytes` alive). */
export function toLatin1Bytes(bytes: Uint8Array): Latin1Bytes {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString('latin1') as Latin1Bytes;
}

/** The bytes of a stored value as a Buffer (a new one for a Latin-1 string, the same one for a Buffer). */
export function storedToBuffer(value: StoredBytes): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}
