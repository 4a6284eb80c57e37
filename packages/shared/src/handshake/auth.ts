import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../protocol/opcodes';

export const NONCE_BYTES = 32;

export function makeNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/**
 * Proof of the secret for one handshake: HMAC-SHA256(secret, "kvndb-auth-v1" 0 role 0 nonce).
 * Binding the role means a proof made for a client session cannot be replayed as a replica;
 * the fresh nonce means no proof can be replayed at all.
 */
export function computeProof(secret: string, role: Role, nonce: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update('kvndb-auth-v1\0')
    .update(role)
    .update('\0')
    .update(nonce)
    .digest();
}

export function verifyProof(secret: string, role: Role, nonce: Uint8Array, proof: unknown): boolean {
  if (!(proof instanceof Uint8Array)) return false;
  const expected = computeProof(secret, role, nonce);
  if (proof.length !== expected.length) return false;
  return timingSafeEqual(expected, proof);
}
