import readline from 'node:readline';

/**
 * Asks a yes/no question on the terminal (stdin, the question on stderr so stdout stays the
 * command's output); only "y" or "yes" is yes. For a destructive command typed on a shell's
 * command line (`kvndb cmd HOST PORT flush`) when stdin is a terminal.
 */
export function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
    rl.on('close', () => resolve(false));
  });
}
