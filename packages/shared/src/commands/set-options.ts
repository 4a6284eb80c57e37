import { checkContentType } from '../protocol/content-type';
import { KvndbError } from '../protocol/errors';
import { describe, type Limits } from '../protocol/limits';
import type { SetFlags } from '../protocol/types';
import { valueBytes, type Value } from './checks';

/** What set() and put() take besides the key and value. */
export interface SetOptions {
  /** Only set when the key does not exist (Redis NX). */
  ifAbsent?: boolean;
  /** Only set when the key exists (Redis XX). */
  ifExists?: boolean;
  /** Only set when the key's version is this (0: it must not exist): compare-and-set. */
  ifVersion?: number;
  /** Only set when the key's current value is exactly this (Redis IFEQ). */
  ifValue?: Value;
  /** Expire this many milliseconds after the write. */
  ttlMs?: number;
  /** Expire at this time (ms since 1970 on the router's clock). */
  expireAt?: number;
  /** Keep the key's current expiry (without this a set clears it, as Redis's SET does). */
  keepTtl?: boolean;
  /**
   * The value's content type (a media type such as `text/html; charset=utf-8`, at most 255
   * bytes), stored with it and given back by getEntry() and the HTTP door. Without it the key
   * has none: a set replaces the value and its type.
   */
  contentType?: string;
  /** Older names of ifAbsent and ifExists, as Redis spells them. */
  nx?: boolean;
  xx?: boolean;
  /** Return the previous value: use setGet() for this. */
  get?: boolean;
}

function positiveMs(name: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw KvndbError.badRequest(`${name} must be a positive integer of milliseconds, got ${describe(v)}`);
  return v as number;
}

/** SetOptions as the wire's SET flags (null: none). Throws BAD_REQUEST for options the router would refuse. */
export function setFlags(options: SetOptions | undefined, limits: Limits, get: boolean): SetFlags | null {
  const flags: SetFlags = {};
  let any = false;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw KvndbError.badRequest(`set options must be an object, got ${describe(options)}`);
    const conditions: string[] = [];
    if (options.ifAbsent || options.nx) {
      flags.nx = true;
      conditions.push('ifAbsent');
    }
    if (options.ifExists || options.xx) {
      flags.xx = true;
      conditions.push('ifExists');
    }
    if (options.ifVersion !== undefined) {
      if (!Number.isSafeInteger(options.ifVersion) || options.ifVersion < 0) {
        throw KvndbError.badRequest(`ifVersion must be a version (an integer >= 0), got ${describe(options.ifVersion)}`);
      }
      flags.ver = options.ifVersion;
      conditions.push('ifVersion');
    }
    if (options.ifValue !== undefined) {
      flags.eq = valueBytes(options.ifValue, limits);
      conditions.push('ifValue');
    }
    if (conditions.length > 1) throw KvndbError.badRequest(`set takes one condition at most, got ${conditions.join(' and ')}`);
    const expiries: string[] = [];
    if (options.ttlMs !== undefined) {
      flags.px = positiveMs('ttlMs', options.ttlMs);
      expiries.push('ttlMs');
    }
    if (options.expireAt !== undefined) {
      flags.at = positiveMs('expireAt', options.expireAt);
      expiries.push('expireAt');
    }
    if (options.keepTtl) {
      flags.keep = true;
      expiries.push('keepTtl');
    }
    if (expiries.length > 1) throw KvndbError.badRequest(`set takes one expiry at most, got ${expiries.join(' and ')}`);
    let typed = false;
    if (options.contentType !== undefined) {
      flags.ct = checkContentType(options.contentType);
      typed = true;
    }
    any = conditions.length > 0 || expiries.length > 0 || typed;
  }
  if (get) {
    flags.get = true;
    any = true;
  }
  return any ? flags : null;
}
