import { createInterface } from 'node:readline';

/** Reads the first line of standard input when it is not a terminal (a pipe or a file). */
export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/** Prompts on the terminal and reads a line without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (result: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') return finish(() => resolve(typed));
        if (character === '\u0003') return finish(() => reject(new Error('cancelled')));
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A secret from the named variable, else standard input, else a prompt without echo. */
export async function readSecret(what: string, envName: string | undefined): Promise<string> {
  if (envName !== undefined) {
    const value = process.env[envName];
    if (value === undefined || value === '') throw new Error(`${envName} is not set or empty`);
    return value;
  }
  if (!process.stdin.isTTY) return readFirstLine(process.stdin);
  const first = await promptHidden(`${what}: `);
  const again = await promptHidden(`${what} again: `);
  if (first !== again) throw new Error(`the two ${what}s differ`);
  return first;
}
