import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** The repository root, found from this compiled file (packages/slo/dist/src). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '../../../..');
export const SLO_FILE = path.join('alerts', 'slos.yaml');
export const OWNERSHIP_FILE = 'ownership.yaml';

export type Severity = 'page' | 'ticket';
export type SliKind = 'availability' | 'latency';

export interface BurnRateAlert {
  severity: Severity;
  /** Multiple of the sustainable error rate (1 = the budget lasts exactly the SLO window). */
  burnRate: number;
  longWindow: string;
  shortWindow: string;
  for: string;
}

export interface Slo {
  /** Unique, e.g. `movie-availability`; the `slo` label of every series and alert about it. */
  name: string;
  service: string;
  sli: SliKind;
  /** Percent of good requests, e.g. 99.9. */
  objective: number;
  /** The SLO window, e.g. 30d. */
  window: string;
  /** Latency SLIs: seconds; must be a bucket boundary of the histogram. */
  threshold?: number;
  description: string;
}

export interface SloDefinitions {
  runbookBaseUrl: string;
  sli: { metric: string; excludedRoutes: string; errorStatus: string; notErrorStatus: string };
  burnRateAlerts: BurnRateAlert[];
  /** Requests per second over an alert's long window below which burn-rate alerts stay silent. */
  minRequestRate: number;
  absentFor: string;
  slos: Slo[];
}

export interface Owner {
  team: string;
  accountable: string;
  support: { slack: string; tickets?: string };
  oncall: { pagerdutyRotation: string };
}

export type Ownership = Record<string, Owner>;

export interface Definitions {
  slo: SloDefinitions;
  /** The services' owners. */
  ownership: Ownership;
  /** Who runs the telemetry stack: the owner of the alerts about the monitoring itself. */
  monitoringOwner: Owner;
}

/** The ownership labels of an alert, from ownership.yaml. */
export function ownerLabels(owner: Owner): Record<string, string> {
  return {
    team: owner.team,
    owner: owner.accountable,
    support_channel: owner.support.slack,
    oncall_rotation: owner.oncall.pagerdutyRotation,
  };
}

/** The labels every alert about `service` carries, from ownership.yaml. */
export function ownershipLabels(ownership: Ownership, service: string): Record<string, string> {
  const owner = ownership[service];
  if (owner === undefined) throw new Error(`${OWNERSHIP_FILE}: no entry for service "${service}"`);
  return ownerLabels(owner);
}

/** Budget as a fraction: objective 99.9 → 0.001, without floating-point noise. */
export function errorBudget(slo: Pick<Slo, 'objective'>): number {
  return clean((100 - slo.objective) / 100);
}

/** Rounds away binary floating-point noise (14.4 * 0.001 → 0.0144). */
export function clean(value: number): number {
  return Number(value.toPrecision(12));
}

// ---------------------------------------------------------------------------------------------
// Loading and validation: every mistake is reported with the file and the path of the value.

const NAME = /^[a-z][a-z0-9-]*$/;
const REQUIRED_TEXT = 'required, a non-empty string';
const REQUIRED_POSITIVE = 'required, a number greater than zero';
const REQUIRED_LIST = 'required, a non-empty list';

/** A rule on a string: the problem with `value`, or undefined when it is fine. */
type TextRule = (value: string) => string | undefined;

const matches =
  (pattern: RegExp): TextRule =>
  (value) =>
    pattern.test(value) ? undefined : `"${value}" must match ${pattern}`;

const problemOf = (check: () => unknown): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

const isDuration: TextRule = (value) => problemOf(() => parseDuration(value));
const isRegularExpression: TextRule = (value) => {
  const problem = problemOf(() => new RegExp(value));
  return problem === undefined ? undefined : `not a regular expression: ${problem}`;
};

function text(rule?: TextRule) {
  return z.string({ error: REQUIRED_TEXT }).superRefine((value, context) => {
    const problem = value.trim() === '' ? REQUIRED_TEXT : rule?.(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: value });
  });
}

const positiveNumber = () => z.number({ error: REQUIRED_POSITIVE }).gt(0, { error: REQUIRED_POSITIVE });

/** A mapping with exactly these keys; `notAMapping` is the message when the value is something else. */
function mapping<Shape extends z.ZodRawShape>(shape: Shape, notAMapping: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (allowed: ${allowed})` : notAMapping),
  });
}

const burnRateAlertSchema = mapping(
  {
    severity: text(matches(/^(page|ticket)$/)),
    burn_rate: positiveNumber(),
    long_window: text(isDuration),
    short_window: text(isDuration),
    for: text(isDuration),
  },
  'expected a mapping',
).superRefine((alert, context) => {
  // Runs even when a window was refused above, so only windows that parse are compared.
  const windowsParse = isDuration(alert.short_window) === undefined && isDuration(alert.long_window) === undefined;
  if (windowsParse && parseDuration(alert.short_window) >= parseDuration(alert.long_window)) {
    context.addIssue({ code: 'custom', message: 'short_window must be shorter than long_window', input: alert });
  }
});

const sloSchema = mapping(
  {
    name: text(matches(NAME)),
    service: text(matches(NAME)),
    sli: text(matches(/^(availability|latency)$/)),
    objective: positiveNumber().lt(100, { error: 'a percentage between 0 and 100 (exclusive), e.g. 99.9' }),
    window: text(isDuration),
    threshold: positiveNumber().optional(),
    description: text(),
  },
  'expected a mapping',
).superRefine((slo, context) => {
  if (slo.sli === 'latency' && slo.threshold === undefined) {
    context.addIssue({ code: 'custom', path: ['threshold'], message: REQUIRED_POSITIVE, input: slo });
  }
  if (slo.sli !== 'latency' && slo.threshold !== undefined) {
    context.addIssue({ code: 'custom', path: ['threshold'], message: 'only latency SLIs have a threshold', input: slo });
  }
});

const sloFileSchema = mapping(
  {
    runbook_base_url: text(matches(/^https?:\/\/\S+[^/]$/)),
    sli: mapping(
      {
        metric: text(matches(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)),
        excluded_routes: text(isRegularExpression),
        error_status: text(isRegularExpression),
        not_error_status: text(),
      },
      'required, a mapping',
    ),
    burn_rate_alerts: z
      .array(burnRateAlertSchema, { error: REQUIRED_LIST })
      .min(1, { error: REQUIRED_LIST })
      .superRefine((alerts, context) => {
        alerts.forEach((alert, index) => {
          if (alerts.slice(0, index).some((other) => other.long_window === alert.long_window)) {
            context.addIssue({ code: 'custom', path: [index, 'long_window'], message: 'used twice', input: alert });
          }
        });
      }),
    min_request_rate: positiveNumber(),
    absent_for: text(isDuration),
    slos: z
      .array(sloSchema, { error: REQUIRED_LIST })
      .min(1, { error: REQUIRED_LIST })
      .superRefine((slos, context) => {
        slos.forEach((slo, index) => {
          const earlier = slos.slice(0, index);
          if (earlier.some((other) => other.name === slo.name)) {
            context.addIssue({ code: 'custom', path: [index, 'name'], message: `"${slo.name}" is used twice`, input: slo });
          }
          if (earlier.some((other) => other.service === slo.service && other.sli === slo.sli)) {
            context.addIssue({ code: 'custom', path: [index], message: `service "${slo.service}" already has a ${slo.sli} SLO`, input: slo });
          }
        });
      }),
  },
  'expected a mapping at the top level',
);

const ownerSchema = mapping(
  {
    team: text(matches(NAME)),
    accountable: text(matches(/^[^@\s]+@[^@\s]+$/)),
    support: mapping({ slack: text(matches(/^#[a-z0-9-]+$/)), tickets: text(matches(/^https?:\/\//)).optional() }, 'required, a mapping with slack (and optionally tickets)'),
    oncall: mapping({ pagerduty_rotation: text() }, 'required, a mapping with pagerduty_rotation'),
  },
  'expected a mapping with team, accountable, support and oncall',
);

const ownershipFileSchema = mapping(
  {
    services: z.record(z.string().regex(NAME), ownerSchema, {
      error: (issue) => (issue.code === 'invalid_key' ? 'service names are lower-case words joined by "-"' : 'required, a mapping from each service to its owner'),
    }),
    monitoring: ownerSchema,
  },
  'expected the mappings "services" and "monitoring" at the top level',
);

/** `slos[3].window`, from zod's path of a value. */
function where(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Validates the YAML in `source` against `schema`, throwing one error that lists every problem. */
function validate<Schema extends z.ZodType>(schema: Schema, source: string, file: string, title: string): z.output<Schema> {
  const result = schema.safeParse(parse(source));
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.path.length === 0 && issue.code !== 'unrecognized_keys') return [`${file}: ${issue.message}`];
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return keys.map((path) => `${file}: ${where(path)}: ${issue.message}`);
  });
  throw new Error(`${title}:\n  ${problems.join('\n  ')}`);
}

export function parseSloDefinitions(source: string, file = SLO_FILE): SloDefinitions {
  const root = validate(sloFileSchema, source, file, 'Invalid SLO definitions');
  const burnRateAlerts: BurnRateAlert[] = root.burn_rate_alerts.map((alert) => ({
    severity: alert.severity as Severity,
    burnRate: alert.burn_rate,
    longWindow: alert.long_window,
    shortWindow: alert.short_window,
    for: alert.for,
  }));
  const slos: Slo[] = root.slos.map(({ threshold, ...slo }) => ({ ...slo, sli: slo.sli as SliKind, ...(threshold === undefined ? {} : { threshold }) }));
  for (const alert of burnRateAlerts) {
    for (const slo of slos) {
      if (parseDuration(alert.longWindow) >= parseDuration(slo.window)) {
        throw new Error(`${file}: ${slo.name}: window ${slo.window} must be longer than the alert window ${alert.longWindow}`);
      }
      if (alert.burnRate * errorBudget(slo) >= 1) {
        throw new Error(`${file}: ${slo.name}: burn rate ${alert.burnRate} × budget ${errorBudget(slo)} reaches 100% errors; such an alert could never fire`);
      }
    }
  }
  return {
    runbookBaseUrl: root.runbook_base_url,
    sli: {
      metric: root.sli.metric,
      excludedRoutes: root.sli.excluded_routes,
      errorStatus: root.sli.error_status,
      notErrorStatus: root.sli.not_error_status,
    },
    burnRateAlerts,
    minRequestRate: root.min_request_rate,
    absentFor: root.absent_for,
    slos,
  };
}

function ownerFrom(owner: z.output<typeof ownerSchema>): Owner {
  return {
    team: owner.team,
    accountable: owner.accountable,
    support: { slack: owner.support.slack, ...(owner.support.tickets === undefined ? {} : { tickets: owner.support.tickets }) },
    oncall: { pagerdutyRotation: owner.oncall.pagerduty_rotation },
  };
}

export function parseOwnership(source: string, file = OWNERSHIP_FILE): Pick<Definitions, 'ownership' | 'monitoringOwner'> {
  const root = validate(ownershipFileSchema, source, file, 'Invalid SLO definitions');
  const ownership: Ownership = {};
  for (const [service, owner] of Object.entries(root.services)) ownership[service] = ownerFrom(owner);
  return { ownership, monitoringOwner: ownerFrom(root.monitoring) };
}

/** Reads alerts/slos.yaml and ownership.yaml; every SLO's service must have an owner. */
export function loadDefinitions(root = REPOSITORY_ROOT): Definitions {
  const slo = parseSloDefinitions(readFileSync(path.join(root, SLO_FILE), 'utf8'));
  const { ownership, monitoringOwner } = parseOwnership(readFileSync(path.join(root, OWNERSHIP_FILE), 'utf8'));
  const unowned = [...new Set(slo.slos.map((entry) => entry.service))].filter((service) => ownership[service] === undefined);
  if (unowned.length > 0) throw new Error(`${OWNERSHIP_FILE}: no owner for service(s) ${unowned.join(', ')} used in ${SLO_FILE}`);
  return { slo, ownership, monitoringOwner };
}
