import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KvndbError } from '@kvndb/shared';

/** How long a monitor login lasts, and how many may be live at once (the oldest go first). */
const SESSION_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1024;

/**
 * The HTTP door's credentials: the router's client password, given as
 * `Authorization: Bearer <password>` or basic auth (any user name), or a session token the
 * monitor got from POST /v1/login. Never a query parameter: URLs end up in logs and
 * browser history. Comparisons are timing-safe over digests, as the RESP door's.
 */
export class HttpAuth {
  private readonly digest: Buffer | null;
  /** Session tokens by their digest (a leaked heap dump shows no usable token). */
  private readonly sessions = new Map<string, number>();

  constructor(password: string | undefined) {
    this.digest = password ? sha256(password) : null;
  }

  get required(): boolean {
    return this.digest !== null;
  }

  /** Throws AUTH_FAILED unless `authorization` carries the password or a live session token. */
  check(authorization: string | undefined): void {
    if (this.digest === null) return;
    const secret = secretOf(authorization);
    if (secret === null) throw KvndbError.authFailed('authentication required: send Authorization: Bearer <password> or basic auth');
    if (this.isPassword(secret) || this.isSession(secret)) return;
    throw KvndbError.authFailed();
  }

  isPassword(secret: string): boolean {
    return this.digest !== null && timingSafeEqual(sha256(secret), this.digest);
  }

  /** A new session token for the monitor (after the password was checked). */
  openSession(now = Date.now()): { token: string; expiresAt: number } {
    this.prune(now);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + SESSION_MS;
    this.sessions.set(sha256(token).toString('hex'), expiresAt);
    return { token, expiresAt };
  }

  closeSession(authorization: string | undefined): void {
    const secret = secretOf(authorization);
    if (secret !== null) this.sessions.delete(sha256(secret).toString('hex'));
  }

  private isSession(secret: string, now = Date.now()): boolean {
    // The map lookup is by digest, so it does not leak the token through timing either.
    const key = sha256(secret).toString('hex');
    const expiresAt = this.sessions.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= now) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  private prune(now: number): void {
    for (const [k, at] of this.sessions) if (at <= now) this.sessions.delete(k);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The secret of a Bearer or Basic Authorization header (basic: the password part), or null. */
export function secretOf(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const space = authorization.indexOf(' ');
  if (space < 0) return null;
  const scheme = authorization.slice(0, space).toLowerCase();
  const rest = authorization.slice(space + 1).trim();
  if (scheme === 'bearer') return rest;
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? decoded : decoded.slice(colon + 1);
  }
  return null;
}
