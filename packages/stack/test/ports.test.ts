import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const PORTS_MODULE = JSON.stringify(path.join(__dirname, '..', 'src', 'ports.js'));

/**
 * A process that asks for the stack's ports, `count` more at once, the way a test file's set-up does, and
 * two blocks of eight consecutive ports out of a narrow range of forty (as `npm start`'s tests ask for a port
 * base), prints them, and lives (holding them) until its standard input closes.
 */
function portHolder(count: number): { child: ChildProcess; ports: Promise<number[]> } {
  const script = `const { randomInt } = require('node:crypto');
const { freePort, freePortSet, freeStackPorts } = require(${PORTS_MODULE});
const block = () => { const base = 19_000 + randomInt(40) * 10; return Array.from({ length: 8 }, (_, i) => base + i); };
(async () => {
  const stack = await freeStackPorts();
  const more = await Promise.all(Array.from({ length: ${count} }, () => freePort()));
  const blocks = [...(await freePortSet(block)), ...(await freePortSet(block))];
  console.log(JSON.stringify([...Object.values(stack), ...more, ...blocks]));
  process.stdin.resume();
})();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  // A holder that fails (no free set found) ends its output without a line: that fails the test, not hangs it.
  const ports = new Promise<number[]>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('\n')) resolve(JSON.parse(output) as number[]);
    });
    child.stdout?.once('end', () => reject(new Error(`a port holder ended without naming its ports: ${output}`)));
  });
  return { child, ports };
}

test('processes living side by side never get the same port, and none from the range outgoing connections use', async () => {
  const holders = Array.from({ length: 4 }, () => portHolder(40));
  try {
    const all = (await Promise.all(holders.map((holder) => holder.ports))).flat();
    assert.equal(new Set(all).size, all.length, 'every port handed out once');
    const [ephemeralFirst] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    for (const port of all) assert.ok(port < (ephemeralFirst ?? 32768) && port >= 1024, `port ${port} is in the kernel's ephemeral range`);
  } finally {
    const exits = holders.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : Promise.resolve()));
    for (const { child } of holders) child.stdin?.end();
    await Promise.all(exits);
  }
});
