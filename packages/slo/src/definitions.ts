import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
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
  ownership: Ownership;
}

/** The labels every alert about `service` carries, from ownership.yaml. */
export function ownershipLabels(ownership: Ownership, service: string): Record<string, string> {
  const owner = ownership[service];
  if (owner === undefined) throw new Error(`${OWNERSHIP_FILE}: no entry for service "${service}"`);
  return {
    team: owner.team,
    owner: owner.accountable,
    support_channel: owner.support.slack,
    oncall_rotation: owner.oncall.pagerdutyRotation,
  };
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

class Problems {
  readonly list: string[] = [];
  constructor(private readonly file: string) {}
  add(where: string, message: string): void {
    this.list.push(`${this.file}: ${where}: ${message}`);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new Error(`Invalid SLO definitions:\n  ${this.list.join('\n  ')}`);
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(problems: Problems, object: Json, key: string, where: string, pattern?: RegExp): string {
  const value = object[key];
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(`${where}.${key}`, 'required, a non-empty string');
    return '';
  }
  if (pattern !== undefined && !pattern.test(value)) problems.add(`${where}.${key}`, `"${value}" must match ${pattern}`);
  return value;
}

function positiveNumber(problems: Problems, object: Json, key: string, where: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    problems.add(`${where}.${key}`, 'required, a number greater than zero');
    return Number.NaN;
  }
  return value;
}

function duration(problems: Problems, object: Json, key: string, where: string): string {
  const value = text(problems, object, key, where);
  if (value !== '') {
    try {
      parseDuration(value);
    } catch (error) {
      problems.add(`${where}.${key}`, (error as Error).message);
    }
  }
  return value;
}

function unknownKeys(problems: Problems, object: Json, allowed: string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) problems.add(`${where}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

const NAME = /^[a-z][a-z0-9-]*$/;

export function parseSloDefinitions(source: string, file = SLO_FILE): SloDefinitions {
  const problems = new Problems(file);
  const root: unknown = parse(source);
  if (!isObject(root)) throw new Error(`${file}: expected a mapping at the top level`);
  unknownKeys(problems, root, ['runbook_base_url', 'sli', 'burn_rate_alerts', 'min_request_rate', 'absent_for', 'slos'], '');

  const runbookBaseUrl = text(problems, root, 'runbook_base_url', '', /^https?:\/\/\S+[^/]$/);
  const sliRoot = isObject(root['sli']) ? root['sli'] : {};
  if (!isObject(root['sli'])) problems.add('sli', 'required, a mapping');
  unknownKeys(problems, sliRoot, ['metric', 'excluded_routes', 'error_status', 'not_error_status'], 'sli');
  const sli = {
    metric: text(problems, sliRoot, 'metric', 'sli', /^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
    excludedRoutes: text(problems, sliRoot, 'excluded_routes', 'sli'),
    errorStatus: text(problems, sliRoot, 'error_status', 'sli'),
    notErrorStatus: text(problems, sliRoot, 'not_error_status', 'sli'),
  };
  for (const [key, value] of Object.entries({ excluded_routes: sli.excludedRoutes, error_status: sli.errorStatus })) {
    try {
      new RegExp(value);
    } catch (error) {
      problems.add(`sli.${key}`, `not a regular expression: ${(error as Error).message}`);
    }
  }

  const burnRateAlerts: BurnRateAlert[] = [];
  const alerts = root['burn_rate_alerts'];
  if (!Array.isArray(alerts) || alerts.length === 0) problems.add('burn_rate_alerts', 'required, a non-empty list');
  else {
    alerts.forEach((entry: unknown, index) => {
      const where = `burn_rate_alerts[${index}]`;
      if (!isObject(entry)) return problems.add(where, 'expected a mapping');
      unknownKeys(problems, entry, ['severity', 'burn_rate', 'long_window', 'short_window', 'for'], where);
      const severity = text(problems, entry, 'severity', where, /^(page|ticket)$/) as Severity;
      const alert: BurnRateAlert = {
        severity,
        burnRate: positiveNumber(problems, entry, 'burn_rate', where),
        longWindow: duration(problems, entry, 'long_window', where),
        shortWindow: duration(problems, entry, 'short_window', where),
        for: duration(problems, entry, 'for', where),
      };
      if (alert.longWindow && alert.shortWindow && parseDuration(alert.shortWindow) >= parseDuration(alert.longWindow)) {
        problems.add(where, 'short_window must be shorter than long_window');
      }
      if (burnRateAlerts.some((other) => other.longWindow === alert.longWindow)) problems.add(`${where}.long_window`, 'used twice');
      burnRateAlerts.push(alert);
    });
  }

  const minRequestRate = positiveNumber(problems, root, 'min_request_rate', '');
  const absentFor = duration(problems, root, 'absent_for', '');

  const slos: Slo[] = [];
  const list = root['slos'];
  if (!Array.isArray(list) || list.length === 0) problems.add('slos', 'required, a non-empty list');
  else {
    list.forEach((entry: unknown, index) => {
      const where = `slos[${index}]`;
      if (!isObject(entry)) return problems.add(where, 'expected a mapping');
      unknownKeys(problems, entry, ['name', 'service', 'sli', 'objective', 'window', 'threshold', 'description'], where);
      const slo: Slo = {
        name: text(problems, entry, 'name', where, NAME),
        service: text(problems, entry, 'service', where, NAME),
        sli: text(problems, entry, 'sli', where, /^(availability|latency)$/) as SliKind,
        objective: positiveNumber(problems, entry, 'objective', where),
        window: duration(problems, entry, 'window', where),
        description: text(problems, entry, 'description', where),
      };
      if (!(slo.objective > 0 && slo.objective < 100)) problems.add(`${where}.objective`, 'a percentage between 0 and 100 (exclusive), e.g. 99.9');
      if (slo.sli === 'latency') slo.threshold = positiveNumber(problems, entry, 'threshold', where);
      else if (entry['threshold'] !== undefined) problems.add(`${where}.threshold`, 'only latency SLIs have a threshold');
      if (slos.some((other) => other.name === slo.name)) problems.add(`${where}.name`, `"${slo.name}" is used twice`);
      if (slos.some((other) => other.service === slo.service && other.sli === slo.sli)) {
        problems.add(where, `service "${slo.service}" already has a ${slo.sli} SLO`);
      }
      slos.push(slo);
    });
  }
  problems.throwIfAny();
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
  return { runbookBaseUrl, sli, burnRateAlerts, minRequestRate, absentFor, slos };
}

export function parseOwnership(source: string, file = OWNERSHIP_FILE): Ownership {
  const problems = new Problems(file);
  const root: unknown = parse(source);
  if (!isObject(root) || !isObject(root['services'])) throw new Error(`${file}: expected a mapping "services" at the top level`);
  unknownKeys(problems, root, ['services'], '');
  const ownership: Ownership = {};
  for (const [service, entry] of Object.entries(root['services'])) {
    const where = `services.${service}`;
    if (!NAME.test(service)) problems.add(where, 'service names are lower-case words joined by "-"');
    if (!isObject(entry)) {
      problems.add(where, 'expected a mapping with team, accountable, support and oncall');
      continue;
    }
    unknownKeys(problems, entry, ['team', 'accountable', 'support', 'oncall'], where);
    const support = isObject(entry['support']) ? entry['support'] : {};
    const oncall = isObject(entry['oncall']) ? entry['oncall'] : {};
    if (!isObject(entry['support'])) problems.add(`${where}.support`, 'required, a mapping with slack (and optionally tickets)');
    if (!isObject(entry['oncall'])) problems.add(`${where}.oncall`, 'required, a mapping with pagerduty_rotation');
    unknownKeys(problems, support, ['slack', 'tickets'], `${where}.support`);
    unknownKeys(problems, oncall, ['pagerduty_rotation'], `${where}.oncall`);
    const owner: Owner = {
      team: text(problems, entry, 'team', where, NAME),
      accountable: text(problems, entry, 'accountable', where, /^[^@\s]+@[^@\s]+$/),
      support: { slack: text(problems, support, 'slack', `${where}.support`, /^#[a-z0-9-]+$/) },
      oncall: { pagerdutyRotation: text(problems, oncall, 'pagerduty_rotation', `${where}.oncall`) },
    };
    if (support['tickets'] !== undefined) owner.support.tickets = text(problems, support, 'tickets', `${where}.support`, /^https?:\/\//);
    ownership[service] = owner;
  }
  problems.throwIfAny();
  return ownership;
}

/** Reads alerts/slos.yaml and ownership.yaml; every SLO's service must have an owner. */
export function loadDefinitions(root = REPOSITORY_ROOT): Definitions {
  const slo = parseSloDefinitions(readFileSync(path.join(root, SLO_FILE), 'utf8'));
  const ownership = parseOwnership(readFileSync(path.join(root, OWNERSHIP_FILE), 'utf8'));
  const unowned = [...new Set(slo.slos.map((entry) => entry.service))].filter((service) => ownership[service] === undefined);
  if (unowned.length > 0) throw new Error(`${OWNERSHIP_FILE}: no owner for service(s) ${unowned.join(', ')} used in ${SLO_FILE}`);
  return { slo, ownership };
}
