import type { Argv } from 'yargs';
import type { RouterOptions } from '@kvndb/router';
import { bytesOption, integerOption } from './options';

/**
 * The router's resource limits as flags: what one connection may cost the server. Every
 * default is listed in docs/SECURITY.md; a limit that is hit gives the peer an error code
 * (TOO_LARGE, TOO_MANY_REQUESTS, TIMEOUT) and, when the stream can no longer be trusted,
 * closes that connection only.
 */
export const GROUP_LIMITS = 'Limits:';

export interface LimitArgs {
  maxFrame?: number;
  maxKey?: number;
  maxValue?: number;
  maxConnections?: number;
  maxInflight?: number;
  handshakeTimeout?: number;
  idleTimeout?: number;
  frameTimeout?: number;
  clientOutputLimit?: number;
}

export function withLimits(y: Argv): Argv {
  const opt = (name: string, describe: string, def: string, coerce: (v: unknown) => number | undefined) =>
    ({ type: 'string', group: GROUP_LIMITS, describe, defaultDescription: def, coerce }) as const;
  return y
    .option('max-frame', opt('max-frame', 'largest frame accepted; a bigger length prefix is answered TOO_LARGE and the connection closed', '65m', bytesOption('max-frame')))
    .option('max-key', opt('max-key', 'largest key in bytes (TOO_LARGE)', '64k', bytesOption('max-key')))
    .option('max-value', opt('max-value', 'largest value in bytes (TOO_LARGE)', '64m', bytesOption('max-value')))
    .option('max-connections', opt('max-connections', 'open connections (clients, replicas, handshakes); more are refused with TOO_MANY_REQUESTS', '10000', integerOption('max-connections', 1)))
    .option('max-inflight', opt('max-inflight', 'requests in flight on one client connection; more are answered TOO_MANY_REQUESTS', '10000', integerOption('max-inflight', 1)))
    .option('handshake-timeout', opt('handshake-timeout', 'ms a new connection (TLS included) has to authenticate', '10000', integerOption('handshake-timeout', 1)))
    .option('idle-timeout', opt('idle-timeout', 'ms a client may send nothing (with nothing in flight) before it is closed; 0 = never', '0', integerOption('idle-timeout')))
    .option('frame-timeout', opt('frame-timeout', 'ms one frame may take to arrive once started (slowloris defence); 0 = never', '30000', integerOption('frame-timeout')))
    .option('client-output-limit', opt('client-output-limit', 'unread answers one client may pile up before it is disconnected', '256m', bytesOption('client-output-limit')));
}

/** The RouterOptions the flags set (undefined fields keep the router's defaults). */
export function limitOptions(args: LimitArgs): Partial<RouterOptions> {
  const limits: NonNullable<RouterOptions['limits']> = {};
  if (args.maxFrame !== undefined) limits.maxFrameBytes = args.maxFrame;
  if (args.maxKey !== undefined) limits.maxKeyBytes = args.maxKey;
  if (args.maxValue !== undefined) {
    limits.maxValueBytes = args.maxValue;
    // Room for the value plus key and envelope, unless the frame limit is set explicitly.
    if (args.maxFrame === undefined) limits.maxFrameBytes = Math.max(args.maxValue + 1024 * 1024, 1024 * 1024);
  }
  return {
    limits,
    maxConnections: args.maxConnections,
    maxInflightPerClient: args.maxInflight,
    handshakeTimeoutMs: args.handshakeTimeout,
    idleTimeoutMs: args.idleTimeout,
    frameTimeoutMs: args.frameTimeout,
    clientOutputLimitBytes: args.clientOutputLimit,
  };
}
