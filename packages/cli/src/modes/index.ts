import type { CommandModule } from 'yargs';
import { cmdMode } from './cmd';
import { memoryMode } from './memory';
import { delOneShot, getOneShot, keysOneShot, setOneShot, statusOneShot } from './oneshot';
import { routerMode } from './router';
import { sqliteMode } from './sqlite';
import { standaloneMode } from './standalone';

/** Every mode of the kvndb binary. Adding one is a file here and a line in this list. */
export const MODES: CommandModule[] = [
  routerMode,
  memoryMode,
  sqliteMode,
  standaloneMode,
  cmdMode,
  getOneShot,
  setOneShot,
  delOneShot,
  keysOneShot,
  statusOneShot,
];
