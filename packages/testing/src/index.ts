export { freePort, freePortBase, freePortSet } from './ports.js';
export { parseSamples, scrapeSamples, sumOf, type Sample } from './exposition.js';
export { startMariaDb, type MariaDb, type MariaDbOptions } from './mariadb.js';
export {
  startProcess,
  type ExitStatus,
  type LinePredicate,
  type RunningProcess,
  type StartProcessOptions,
} from './service-process.js';
export { httpJson, type HttpResponse } from './http.js';
export { makeTempDir, type TempDir } from './temp.js';
export { REPOSITORY_ROOT, TELEMETRY_PRELOAD, serviceMain, startService, type ServiceName, type StartedService, type StartServiceOptions } from './services.js';
export {
  startOtlpReceiver,
  type OtlpReceiver,
  type OtlpReceiverBehaviour,
  type ReceivedLog,
  type ReceivedRequest,
  type ReceivedSpan,
  type SpanKindName,
  type StatusCodeName,
} from './otlp-receiver.js';
export {
  startPrometheus,
  type ExemplarSeries,
  type InstantSample,
  type PrometheusAlert,
  type PrometheusConfigOptions,
  type PrometheusOptions,
  type PrometheusRule,
  type PrometheusRuleGroup,
  type PrometheusServer,
  type PrometheusTarget,
  type RangeSeries,
} from './prometheus.js';
export {
  startAlertmanager,
  startWebhookReceiver,
  type AlertmanagerAlert,
  type AlertmanagerOptions,
  type AlertmanagerServer,
  type WebhookReceiver,
} from './alertmanager.js';
export { eventually, waitUntil, type WaitOptions } from './wait.js';
export { replies, startScriptedServer, type Reply, type ScriptedServer, type SeenRequest } from './scripted-server.js';
export { alertmanagerConfigWithWebhooks, stackBinary, type WebhookAlert, type WebhookNotification } from '@cinemetrics/stack';
export { prometheusApi, getJson } from './prometheus-http.js';
export { PrometheusClient, PrometheusQueries } from './prometheus-queries.js';
export * from './tokens.js';
export * from './identity.js';
