import type { Options } from 'p-retry' with { 'resolution-mode': 'import' };
type PRetry = typeof import('p-retry', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { default: pRetry, AbortError } = require('p-retry') as PRetry;
export const opts: Options = { retries: 1 };
export function load() { return [pRetry, AbortError]; }
