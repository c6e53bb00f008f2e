import { createServer } from 'node:net';
import { StartError } from './config.js';
import type { ServicePorts } from './services.js';

/** A port the command is about to listen on, and whose it is (`movie admin`, `Prometheus`). */
export interface PortUse {
  port: number;
  owner: string;
}

function portProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    // No host: all interfaces, exactly as the services bind.
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export function servicePortUses(all: ServicePorts[]): PortUse[] {
  return all.flatMap((service) => [
    { port: service.port, owner: `${service.name} API` },
    { port: service.adminPort, owner: `${service.name} admin` },
  ]);
}

export const SERVICE_PORTS_HINT = 'move every port with CINEMETRICS_PORT_BASE (e.g. CINEMETRICS_PORT_BASE=18080 → 18081-18084, 18091-18094)';

/** Names every port that is already taken, before anything is started; `hint` says how to move them. */
export async function assertPortsFree(uses: PortUse[], hint = SERVICE_PORTS_HINT): Promise<void> {
  const problems: string[] = [];
  for (const { port, owner } of uses) {
    const error = await portProblem(port);
    if (error === 'EADDRINUSE') problems.push(`port ${port} (${owner}) is already in use`);
    else if (error !== undefined) problems.push(`port ${port} (${owner}) cannot be used: ${error}`);
  }
  if (problems.length > 0) {
    throw new StartError(`${problems.join('\n')}\nStop whatever holds ${problems.length === 1 ? 'it' : 'them'} (an earlier run?) or ${hint}.`);
  }
}
