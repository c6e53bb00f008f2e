import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';

/** An alert inside a webhook notification. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The JSON body Alertmanager's webhook_config POSTs (version 4). */
export interface WebhookNotification {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface AlertmanagerWebhook {
  /** `http://127.0.0.1:<port>/`: use it as a webhook_configs url (any path is accepted). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest body read; a notification for a handful of alerts is a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parts of a notification its readers rely on: the receiver, and each alert's status, labels and annotations. */
function isNotification(body: unknown): body is WebhookNotification {
  return (
    isRecord(body) &&
    typeof body['receiver'] === 'string' &&
    Array.isArray(body['alerts']) &&
    body['alerts'].every((alert) => isRecord(alert) && typeof alert['status'] === 'string' && isRecord(alert['labels']) && isRecord(alert['annotations']))
  );
}

async function notificationOf(request: IncomingMessage): Promise<WebhookNotification> {
  if (request.method !== 'POST') throw new Error(`${request.method ?? '?'} not allowed; Alertmanager POSTs`);
  const body: unknown = JSON.parse(await readBody(request));
  if (!isNotification(body)) throw new Error('not an Alertmanager notification: a receiver, and alerts with status, labels and annotations expected');
  return body;
}

/**
 * An HTTP server on loopback that takes Alertmanager's webhook notifications (port 0: a free one) and
 * hands each to `onNotification`; anything else gets 400 with the reason.
 */
export async function listenForAlertmanagerWebhooks(port: number, onNotification: (notification: WebhookNotification) => void): Promise<AlertmanagerWebhook> {
  const server = createServer((request, response) => {
    notificationOf(request).then(
      (notification) => {
        onNotification(notification);
        response.writeHead(200).end();
      },
      (error: unknown) => response.writeHead(400, { 'content-type': 'text/plain' }).end(String(error)),
    );
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`webhook listener: unexpected address ${String(address)}`);
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
