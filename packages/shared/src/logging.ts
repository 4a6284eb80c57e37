import { Writable } from 'node:stream';
import winston from 'winston';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  /** Component name shown on every line (router, replica name, ...). */
  name: string;
  verbose?: boolean;
  /** Also (or instead, with quiet) log to this file. */
  file?: string;
  format?: LogFormat;
  /** No console output (used when the console itself is the user interface). */
  quiet?: boolean;
}

export type Logger = winston.Logger;

/** Human-readable logs on stderr by default, JSON with --log-format json, debug with -v. */
export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf((info) => {
            const { timestamp, level, message, component, ...rest } = info as Record<string, unknown>;
            const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
            return `${String(timestamp)} ${String(component)} ${String(level)}: ${String(message)}${extra}`;
          }),
        );
  const transports: winston.transport[] = [];
  if (!options.quiet) {
    transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] }));
  }
  if (options.file) transports.push(new winston.transports.File({ filename: options.file }));
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({
    level: options.verbose ? 'debug' : 'info',
    defaultMeta: { component: options.name },
    format,
    transports,
  });
}

/** A logger that discards everything (library use without logging). */
export function silentLogger(): Logger {
  return winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
}

/**
 * A logger that hands each line's level and message to `send` (a worker thread's logger:
 * the main thread writes the line through its own logger, so one process has one log).
 */
export function forwardingLogger(send: (level: string, message: string) => void, verbose = false): Logger {
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: unknown }, _enc, callback) {
      send(info.level, String(info.message));
      callback();
    },
  });
  return winston.createLogger({ level: verbose ? 'debug' : 'info', transports: [new winston.transports.Stream({ stream })] });
}
