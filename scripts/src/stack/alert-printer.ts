import path from 'node:path';
import { listenForAlertmanagerWebhooks, type AlertmanagerWebhook, type WebhookNotification } from '@cinemetrics/stack';

/** One line per alert of a notification; the heartbeat once, the first time it arrives. */
function notificationLines(notification: WebhookNotification, heartbeatSeen: boolean): string[] {
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

/**
 * The receiver of `npm run stack`'s Alertmanager: every notification it would send to a page, ticket or
 * heartbeat receiver is printed with `print`, so the tour's outage shows up in the terminal.
 */
export async function startAlertPrinter(port: number, print: (line: string) => void): Promise<AlertmanagerWebhook> {
  let heartbeatSeen = false;
  return listenForAlertmanagerWebhooks(port, (notification) => {
    for (const line of notificationLines(notification, heartbeatSeen)) print(line);
    if (notification.receiver === 'heartbeat') heartbeatSeen = true;
  });
}
