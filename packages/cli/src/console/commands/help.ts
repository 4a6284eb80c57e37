import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { table } from '../format';

/** `help` needs the registry, which contains it; the registry passes itself in. */
export function createHelpCommand(lookup: {
  all(): ConsoleCommand[];
  find(name: string): ConsoleCommand | undefined;
}): ConsoleCommand {
  return {
    name: 'help',
    aliases: ['?'],
    usage: 'help [COMMAND]',
    help: 'list the commands, or explain one',
    minArgs: 0,
    maxArgs: 1,
    async run(_ctx, args) {
      if (args.length === 1) {
        const name = args[0].toString('utf8');
        const command = lookup.find(name);
        if (!command) throw KvndbError.badRequest(`unknown command "${name}"; type help for the list`);
        const text = [`usage: ${command.usage}`, `  ${command.help}`];
        if (command.aliases.length) text.push(`  aliases: ${command.aliases.join(', ')}`);
        return { json: { name: command.name, usage: command.usage, help: command.help, aliases: command.aliases }, text };
      }
      const commands = lookup.all();
      const text = [
        ...table(commands.map((c) => [c.usage, c.help])),
        '',
        "Quote arguments with '...' or \"...\" (\"\\n\", \"\\xHH\" and \"\\u{HHHH}\" escapes work in double quotes).",
        'Values that are not UTF-8 show as <hex:...>; a missing key shows as (nil).',
        'set KEY @FILE stores a file, get KEY > FILE saves a value; Tab completes commands and keys.',
      ];
      return {
        json: commands.map((c) => ({ name: c.name, usage: c.usage, help: c.help, aliases: c.aliases })),
        text,
      };
    },
  };
}
