import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DASHBOARD_TAG, JAEGER, PROMETHEUS, VICTORIALOGS } from './datasources.js';

export interface Query {
  expr: string;
  legend?: string;
  /** Ask Prometheus for exemplars too (histograms with trace_id exemplars). */
  exemplars?: boolean;
  /** One value per series at the end of the range (stat and table panels). */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Colour steps from the lowest: the first value is the base colour. */
  thresholds?: { value: number | null; color: string }[];
  min?: number;
  max?: number;
  decimals?: number;
  width?: number;
  height?: number;
  dataLinks?: { title: string; url: string }[];
}

function promQuery(query: Query, index: number): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(String.fromCharCode(65 + index))
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto');
  if (query.exemplars) builder.exemplar(true);
  if (query.instant) builder.instant().format(prometheus.PromQueryFormat.Table);
  return builder;
}

function thresholds(steps: PanelSpec['thresholds']): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps((steps ?? [{ value: null, color: 'green' }]).map((step) => ({ value: step.value, color: step.color })));
}

function dataLinks(spec: PanelSpec): dashboard.DashboardLinkBuilder[] {
  return (spec.dataLinks ?? []).map((link) => new dashboard.DashboardLinkBuilder(link.title).url(link.url));
}

/**
 * `bad / all` per `by`, 0 (not "no data") while nothing is bad: a missing numerator series is the
 * normal state of an error counter that has not been incremented yet.
 */
export function ratioQuery(bad: string, all: string, by: string): string {
  return `(sum by (${by}) (${bad}) or 0 * sum by (${by}) (${all})) / sum by (${by}) (${all})`;
}

/** The builder methods the Prometheus panels share (time series and stat builders both have them). */
interface PrometheusPanelBuilder<Self> {
  title(title: string): Self;
  description(description: string): Self;
  datasource(datasource: common.DataSourceRef): Self;
  unit(unit: string): Self;
  thresholds(thresholds: cog.Builder<dashboard.ThresholdsConfig>): Self;
  span(width: number): Self;
  height(height: number): Self;
  targets(targets: cog.Builder<cog.Dataquery>[]): Self;
  dataLinks(links: cog.Builder<dashboard.DashboardLink>[]): Self;
  min(min: number): Self;
  max(max: number): Self;
  decimals(decimals: number): Self;
}

function fromSpec<Panel extends PrometheusPanelBuilder<Panel>>(panel: Panel, spec: PanelSpec, size: { width: number; height: number }): Panel {
  panel
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .thresholds(thresholds(spec.thresholds))
    .span(spec.width ?? size.width)
    .height(spec.height ?? size.height)
    .targets(spec.queries.map(promQuery))
    .dataLinks(dataLinks(spec));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  return panel;
}

/** A time series of Prometheus queries; thresholds, when given, are drawn as dashed lines. */
export function timeSeries(spec: PanelSpec): timeseries.PanelBuilder {
  const panel = fromSpec(new timeseries.PanelBuilder(), spec, { width: 12, height: 8 });
  if (spec.thresholds) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  return panel;
}

/** One number per series, coloured by thresholds. */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  return fromSpec(new stat.PanelBuilder(), spec, { width: 6, height: 5 });
}

/** Instant Prometheus queries as rows (alerts firing, edges of the service graph). */
export function tablePanel(spec: PanelSpec): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .targets(spec.queries.map((query, index) => promQuery({ ...query, instant: true }, index)))
    .dataLinks(dataLinks(spec));
}

/**
 * A LogsQL query for the VictoriaLogs data source. The SDK has no builder for this plugin, so this is
 * the plugin's own query model (expr, queryType) behind the SDK's builder interface.
 */
export function logsQuery(expr: string): cog.Builder<cog.Dataquery> {
  return {
    build: () => ({ refId: 'A', datasource: VICTORIALOGS, editorMode: 'code', queryType: 'instant', expr, maxLines: 500 }) as unknown as cog.Dataquery,
  };
}

/** Log lines of a LogsQL query; each record's trace_id links to its trace (data source derived field). */
export function logsPanel(spec: { title: string; description: string; expr: string }): logs.PanelBuilder {
  return new logs.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(VICTORIALOGS)
    .span(24)
    .height(12)
    .showTime(true)
    .enableLogDetails(true)
    .wrapLogMessage(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .targets([logsQuery(spec.expr)]);
}

/** The Jaeger data source's dependency graph (the service graph Jaeger computes from traces). */
export function jaegerQuery(queryType: string): cog.Builder<cog.Dataquery> {
  return { build: () => ({ refId: 'A', datasource: JAEGER, queryType }) as unknown as cog.Dataquery };
}

/** A query variable over Prometheus label values; "All" matches every value. */
export function labelVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

/** Where the Jaeger UI is, from the user's browser (compose publishes it on 16686). */
export function jaegerUiVariable(): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder('jaeger_ui').label('Jaeger UI').defaultValue('http://localhost:16686').hide(dashboard.VariableHide.HideVariable);
}

/** The menu of all Cinemetrics dashboards and a link to Jaeger, on every dashboard. */
export function standardLinks(): dashboard.DashboardLinkBuilder[] {
  return [
    new dashboard.DashboardLinkBuilder('Cinemetrics').type(dashboard.DashboardLinkType.Dashboards).tags([DASHBOARD_TAG]).asDropdown(true).includeVars(true).keepTime(true),
    new dashboard.DashboardLinkBuilder('Jaeger').type(dashboard.DashboardLinkType.Link).url('${jaeger_ui}/search').icon('external link').targetBlank(true),
  ];
}

/** A dashboard with the project's defaults: tag, time range, refresh, links. */
export function newDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([DASHBOARD_TAG])
    .editable()
    .readonly()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .links(standardLinks());
}
