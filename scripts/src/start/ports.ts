import { createServer } from 'node:net';
import { StartError } from './config.js';
import type { ServicePorts } from './services.js';

function portProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    // No host: all interfaces, exactly as the services bind.
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Names every API or admin port that is already taken, before anything is started. */
export async function assertPortsFree(all: ServicePorts[]): Promise<void> {
  const problems: string[] = [];
  for (const service of all) {
    for (const [port, role] of [
      [service.port, 'API'],
      [service.adminPort, 'admin'],
    ] as const) {
      const error = await portProblem(port);
      if (error === 'EADDRINUSE') problems.push(`port ${port} (${service.name} ${role}) is already in use`);
      else if (error !== undefined) problems.push(`port ${port} (${service.name} ${role}) cannot be used: ${error}`);
    }
  }
  if (problems.length > 0) {
    throw new StartError(
      `${problems.join('\n')}\nStop whatever holds ${problems.length === 1 ? 'it' : 'them'} (an earlier npm start?) ` +
        `or move every port with CINEMETRICS_PORT_BASE (e.g. CINEMETRICS_PORT_BASE=18080 → 18081-18084, 18091-18094).`,
    );
  }
}
