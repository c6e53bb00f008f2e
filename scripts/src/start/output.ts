import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** The tag of a service's lines, or `start` for the supervisor's own. */
export type Speaker = string;

const COLOURS: Record<string, string> = {
  metadata: '\x1b[36m',
  rating: '\x1b[35m',
  movie: '\x1b[32m',
  auth: '\x1b[33m',
  start: '\x1b[1m',
};
const RESET = '\x1b[0m';
const TAG_WIDTH = Math.max(...Object.keys(COLOURS).map((name) => name.length)) + 2;

const useColour = process.stdout.isTTY === true && !('NO_COLOR' in process.env);

function tag(name: Speaker): string {
  const text = `[${name}]`;
  const padding = ' '.repeat(Math.max(1, TAG_WIDTH - text.length + 1));
  const colour = COLOURS[name];
  return useColour && colour !== undefined ? `${colour}${text}${RESET}${padding}` : `${text}${padding}`;
}

/** A message of the start script on stdout, each line tagged `[start]`. */
export function say(message: string): void {
  for (const line of message.split('\n')) process.stdout.write(`${tag('start')}${line}\n`);
}

/** A problem reported by the start script on stderr, each line tagged `[start]`. */
export function complain(message: string): void {
  for (const line of message.split('\n')) process.stderr.write(`${tag('start')}${line}\n`);
}

/** Copies a child's output line by line into `into`, each line tagged with the child's name. */
export function prefixLines(stream: Readable | null, name: Speaker, into: Writable): void {
  if (stream === null) return;
  const prefix = tag(name);
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => into.write(`${prefix}${line}\n`));
}
