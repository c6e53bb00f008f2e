import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';

/** What Alertmanager's webhook sends (payload version 4), as far as the printer reads it. */
const notificationSchema = z.object({
  receiver: z.string(),
  alerts: z.array(
    z.object({
      status: z.string(),
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()).default({}),
    }),
  ),
});
type Notification = z.infer<typeof notificationSchema>;

/** Largest body read; Alertmanager's notifications for a handful of alerts are a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;

/** One line per alert of a notification; the heartbeat once, the first time it arrives. */
function notificationLines(notification: Notification, heartbeatSeen: boolean): string[] {
  if (notification.receiver === 'heartbeat') {
    return heartbeatSeen
      ? []
      : ['heartbeat: the Watchdog arrived, so Prometheus evaluates its rules and Alertmanager delivers (a dead man\'s switch gets it every minute; not printed again)'];
  }
  return notification.alerts.map((alert) => {
    const { alertname = '?', severity = '?', service = '?' } = alert.labels;
    const runbook = alert.annotations['runbook_url'];
    const where = runbook === undefined ? '' : `  (docs/runbooks/${path.posix.basename(runbook)})`;
    return `${alert.status.toUpperCase()} ${severity} ${alertname} ${service}: ${alert.annotations['summary'] ?? ''}${where}`;
  });
}

export interface AlertPrinter {
  /** `http://127.0.0.1:<port>`: Alertmanager's webhooks point here. */
  readonly url: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseNotification(body: string | undefined): Notification | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = notificationSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The receiver of `npm run stack`'s Alertmanager: every notification it would send to a page, ticket or
 * heartbeat receiver is printed with `print`, so the tour's outage shows up in the terminal.
 */
export async function startAlertPrinter(port: number, print: (line: string) => void): Promise<AlertPrinter> {
  let heartbeatSeen = false;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const notification = parseNotification(request.method === 'POST' ? await readBody(request) : undefined);
    if (notification === undefined) {
      response.writeHead(400).end();
      return;
    }
    for (const line of notificationLines(notification, heartbeatSeen)) print(line);
    if (notification.receiver === 'heartbeat') heartbeatSeen = true;
    response.writeHead(200).end();
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
