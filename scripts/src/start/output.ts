import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** The tag of a service's lines, or the command's own name (`start`, `stack`) for its own. */
export type Speaker = string;

const COLOURS: Record<string, string> = {
  metadata: '\x1b[36m',
  rating: '\x1b[35m',
  movie: '\x1b[32m',
  auth: '\x1b[33m',
  loadgen: '\x1b[34m',
  alerts: '\x1b[31m',
  start: '\x1b[1m',
  stack: '\x1b[1m',
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

let command: Speaker = 'start';

/** Tags the command's own lines with `name` from now on (`[start]` until called). */
export function speakAs(name: Speaker): void {
  command = name;
}

/** A message of the command on stdout, each line tagged with its name. */
export function say(message: string): void {
  for (const line of message.split('\n')) process.stdout.write(`${tag(command)}${line}\n`);
}

/** A problem reported by the command on stderr, each line tagged with its name. */
export function complain(message: string): void {
  for (const line of message.split('\n')) process.stderr.write(`${tag(command)}${line}\n`);
}

/** Copies a child's output line by line into `into`, each line tagged with the child's name. */
export function prefixLines(stream: Readable | null, name: Speaker, into: Writable): void {
  if (stream === null) return;
  const prefix = tag(name);
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => into.write(`${prefix}${line}\n`));
}

/** One line of a child's output on stdout, tagged with the child's name. */
export function relayLine(name: Speaker, line: string): void {
  process.stdout.write(`${tag(name)}${line}\n`);
}
