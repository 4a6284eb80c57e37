import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from './context';
import { delCommand } from './commands/del';
import { entryCommand, latestCommand } from './commands/entry';
import { getCommand } from './commands/get';
import { watchCommand } from './commands/watch';
import { hasCommand } from './commands/has';
import { createHelpCommand } from './commands/help';
import { keysCommand, moreCommand } from './commands/keys';
import { mgetCommand } from './commands/mget';
import { msetCommand } from './commands/mset';
import { pingCommand } from './commands/ping';
import { quitCommand } from './commands/quit';
import { setCommand } from './commands/set';
import { expireCommand, persistCommand, ttlCommand } from './commands/expire';
import { statusCommand } from './commands/status';
import { decrCommand, incrCommand } from './commands/incr';
import { appendCommand, strlenCommand } from './commands/append';
import { copyCommand, renameCommand } from './commands/rename';
import { flushCommand } from './commands/flush';
import { peekCommand, popCommand, pushCommand } from './commands/queue';
import { psubscribeCommand, subscribeCommand } from './commands/subscribe';
import { publishCommand } from './commands/publish';

/** The console's commands. Adding one is a file in commands/ and a line here. */
const COMMANDS: ConsoleCommand[] = [];
const BY_NAME = new Map<string, ConsoleCommand>();

export const commandRegistry = {
  all: (): ConsoleCommand[] => COMMANDS,
  /** By name or alias, case-insensitively (GET works as get). */
  find: (name: string): ConsoleCommand | undefined => BY_NAME.get(name.toLowerCase()),
  /** Every name and alias, for tab completion. */
  names: (): string[] => [...BY_NAME.keys()].sort(),
};

function register(command: ConsoleCommand): void {
  for (const name of [command.name, ...command.aliases]) {
    if (BY_NAME.has(name)) throw new Error(`console command name "${name}" is registered twice`);
    BY_NAME.set(name, command);
  }
  COMMANDS.push(command);
}

[
  getCommand,
  setCommand,
  expireCommand,
  ttlCommand,
  persistCommand,
  delCommand,
  hasCommand,
  keysCommand,
  moreCommand,
  mgetCommand,
  msetCommand,
  entryCommand,
  latestCommand,
  incrCommand,
  decrCommand,
  appendCommand,
  strlenCommand,
  renameCommand,
  copyCommand,
  flushCommand,
  pushCommand,
  popCommand,
  peekCommand,
  subscribeCommand,
  psubscribeCommand,
  publishCommand,
  statusCommand,
  watchCommand,
  pingCommand,
  createHelpCommand(commandRegistry),
  quitCommand,
].forEach(register);

/** Looks a command up and checks its arity, so commands only see well-formed input. */
export function resolveCommand(name: string, argc: number): ConsoleCommand {
  const command = commandRegistry.find(name);
  if (!command) throw KvndbError.badRequest(`unknown command "${name}"; type help for the list`);
  if (argc < command.minArgs || argc > command.maxArgs) throw KvndbError.badRequest(`usage: ${command.usage}`);
  return command;
}

export type { ConsoleCommand, ConsoleContext, ConsoleClient, Reply, KeysPager } from './context';
