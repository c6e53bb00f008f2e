import type { RunningStack } from '@cinemetrics/stack';
import { storeDescription } from '../start/banner.js';
import { identityBannerLines } from '../identity/banner.js';
import { identityPorts } from '../start/banner.js';
import type { BroughtUp } from '../start/bring-up.js';
import { describeSeedOutcome } from '../start/demo-seed.js';
import type { ServicePorts } from '../start/services.js';
import { LOADGEN_DURATION_S, type StackConfig } from './config.js';

export interface StackBannerFacts {
  config: StackConfig;
  stack: RunningStack;
  services: ServicePorts[];
  env: NodeJS.ProcessEnv;
  up: BroughtUp;
  logDir: string;
  ratingPid: number | undefined;
}

const query = (url: string, expr: string): string => `curl -s ${url} --data-urlencode '${expr}'`;

/** The "ready" text of `npm run stack`: what runs where, the URLs to open and a first tour. */
export function stackBanner(facts: StackBannerFacts): string {
  const { config, stack, services, env } = facts;
  const { seed, accounts } = facts.up;
  const { jaeger, prometheus, alertmanager, victorialogs, collectorOtlpHttp } = stack.urls;
  const service = (name: string): ServicePorts | undefined => services.find((s) => s.name === name);
  const movie = service('movie');
  const rating = service('rating');
  const ratingPid = facts.ratingPid === undefined ? '<rating pid>' : String(facts.ratingPid);
  const loadgen =
    config.loadgenRate === undefined
      ? 'off (--no-loadgen): send some traffic yourself, e.g. npm run loadgen'
      : `${config.loadgenRate} requests/s for ${LOADGEN_DURATION_S / 3600} h (baggage synthetic=true; its spans are service "loadgen")`;
  return [
    `Cinemetrics and its telemetry stack are running: ${storeDescription(env)}`,
    `Demo data: ${describeSeedOutcome(seed)}`,
    `Synthetic traffic: ${loadgen}`,
    `Tail sampling: ${config.tailSampling ? 'on (Jaeger gets errors, slow traces and a share of the rest)' : 'off (every trace reaches Jaeger; --tail-sampling turns it on)'}`,
    `Backend data in ${config.dataDir}; every backend's and service's output in ${facts.logDir}/<name>.log`,
    '',
    'Open:',
    `  VictoriaLogs UI   ${victorialogs}/select/vmui   (every service's logs; try the query trace_id:"<id>")`,
    `  Jaeger            ${jaeger}   API only natively (the UI is a separate JavaScript build; docker compose has it)`,
    `  Prometheus        ${prometheus}   API only natively (likewise); targets: ${prometheus}/api/v1/targets`,
    `  Alertmanager      ${alertmanager}   API only natively`,
    `  services          ${services.map((s) => `${s.name} http://127.0.0.1:${s.port}`).join(', ')}`,
    `                    admin /metrics on ${services.map((s) => s.adminPort).join(', ')}; collector OTLP ${collectorOtlpHttp}`,
    '',
    'The APIs:',
    `  traces         curl -s '${jaeger}/api/traces?service=movie&minDuration=20ms&limit=5' | jq -r '.data[] | "\\(.traceID) \\(.spans | length) spans"'`,
    `  one trace      curl -s ${jaeger}/api/traces/<trace id> | jq '.data[0].spans[] | {operationName, duration}'`,
    `  span metrics   ${query(`${prometheus}/api/v1/query`, 'query=sum by (service_name, span_name) (rate(traces_span_metrics_calls_total[5m]))')} | jq -c '.data.result[] | [.metric.service_name, .metric.span_name, .value[1]]'`,
    `  alerts         curl -s ${alertmanager}/api/v2/alerts | jq -c '.[] | {alert: .labels.alertname, service: .labels.service, state: .status.state}'`,
    '                 and every notification Alertmanager sends is printed here, as [alerts] lines',
    '',
    ...identityBannerLines(accounts, identityPorts(services), 'tt0000001'),
    '',
    'The first five minutes:',
    '  1. A slow request from a latency exemplar (each carries the trace id of a request it measured):',
    `     ${query(`${prometheus}/api/v1/query_exemplars`, `query=http_server_request_duration_seconds_bucket{service="movie"}`)} --data-urlencode "start=$(date -d '-10 min' +%s)" \\`,
    `       | jq -r '[.data[].exemplars[]] | sort_by(.value | tonumber) | reverse | .[:3][] | "\\(.value) s  \\(.labels.trace_id)"'`,
    `     and its trace: curl -s ${jaeger}/api/traces/<trace_id> | jq '.data[0].spans[] | {operationName, duration}'`,
    `  2. Its logs from every service it passed through: ${query(`${victorialogs}/select/logsql/query`, 'query=trace_id:"<trace_id>"')} | jq -c '{service: .["service.name"], msg: ._msg}'`,
    `  3. The service graph: ${query(`${prometheus}/api/v1/query`, 'query=sum by (client, server) (rate(traces_service_graph_request_total[5m]))')} | jq -c '.data.result[] | [.metric.client, .metric.server, .value[1]]'`,
    `  4. An outage: kill -STOP ${ratingPid} freezes rating (a killed service is restarted within seconds). movie answers`,
    `     "degraded": ["rating"] (curl localhost:${movie?.port ?? '?'}/movies/tt0000001); once the rule's 2 minutes have passed, ServiceDown for rating`,
    `     pages: an [alerts] FIRING line here, and in Alertmanager (the alerts query above); kill -CONT ${ratingPid} and it resolves.`,
    `     rating's admin port: ${rating?.adminPort ?? '?'}.`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}
