// The Grafana dashboard of ops/ under test: its model checked against the fields Grafana needs,
// the metric names every PromQL expression reads (parsed with Prometheus's own PromQL grammar),
// and which of them a set of scraped exporters does not expose.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { z } from 'zod';
import { projectRoot } from '../../common/config.js';

export const dashboardFile = resolve(projectRoot, 'ops', 'grafana', 'tipstream.json');
/** The uid of the provisioned Prometheus data source every panel must name. */
export const DATASOURCE_UID = 'tipstream-prometheus';
const GRID_COLUMNS = 24;

const gridPos = z.strictObject({
  h: z.number().int().min(1),
  w: z.number().int().min(1).max(GRID_COLUMNS),
  x: z.number().int().min(0).max(GRID_COLUMNS - 1),
  y: z.number().int().min(0),
});
const datasource = z.object({ type: z.literal('prometheus'), uid: z.literal(DATASOURCE_UID) });
const target = z.object({ refId: z.string().min(1), expr: z.string().min(1), datasource, legendFormat: z.string().optional() });
const rowPanel = z.object({ id: z.number().int().min(1), type: z.literal('row'), title: z.string().min(1), gridPos, collapsed: z.boolean(), panels: z.array(z.unknown()) });
const queryPanel = z.object({
  id: z.number().int().min(1),
  type: z.enum(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap']),
  title: z.string().min(1),
  gridPos,
  datasource,
  targets: z.array(target).min(1),
  fieldConfig: z.object({ defaults: z.object({}).loose(), overrides: z.array(z.unknown()) }),
  options: z.object({}).loose(),
});
const variable = z.object({ name: z.string().regex(/^\w+$/), type: z.enum(['query', 'custom', 'constant', 'datasource', 'interval', 'textbox']) }).loose();

/** The dashboard JSON model, with the fields Grafana needs to import and provision it. */
export const dashboardSchema = z.object({
  uid: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'at most 40 letters, digits, "-" or "_"'),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  version: z.number().int().min(0).optional(),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(variable) }),
  annotations: z.object({ list: z.array(z.unknown()) }).optional(),
  panels: z.array(z.discriminatedUnion('type', [rowPanel, queryPanel])).min(1),
});
export type Dashboard = z.infer<typeof dashboardSchema>;

export function readDashboard(file = dashboardFile): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** What is wrong with a dashboard model, one line each; empty when Grafana can load it as intended. */
export function dashboardProblems(json: unknown): string[] {
  const parsed = dashboardSchema.safeParse(json);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const problems: string[] = [];
  const dashboard = parsed.data;
  const ids = new Set<number>();
  const occupied = new Map<string, string>();
  const variables = new Set(dashboard.templating.list.map((v) => v.name));
  for (const panel of dashboard.panels) {
    const name = `panel ${panel.id} (${panel.title})`;
    if (ids.has(panel.id)) problems.push(`${name}: duplicate panel id ${panel.id}`);
    ids.add(panel.id);
    const { x, y, w, h } = panel.gridPos;
    if (x + w > GRID_COLUMNS) problems.push(`${name}: gridPos x ${x} + w ${w} is past the ${GRID_COLUMNS} columns`);
    for (let row = y; row < y + h; row += 1) {
      for (let column = x; column < Math.min(x + w, GRID_COLUMNS); column += 1) {
        const other = occupied.get(`${column},${row}`);
        if (other && other !== name) {
          problems.push(`${name}: overlaps ${other} at column ${column}, row ${row}`);
          row = y + h;
          break;
        }
        occupied.set(`${column},${row}`, name);
      }
    }
    if (panel.type === 'row') continue;
    const refIds = new Set<string>();
    for (const t of panel.targets) {
      if (refIds.has(t.refId)) problems.push(`${name}: duplicate refId ${t.refId}`);
      refIds.add(t.refId);
      for (const [, used] of t.expr.matchAll(/\$\{?(\w+)/g)) {
        if (!used!.startsWith('__') && !variables.has(used!)) problems.push(`${name}: ${t.refId} uses $${used}, which templating does not define`);
      }
      try {
        metricNames(t.expr);
      } catch (err) {
        problems.push(`${name}: ${t.refId}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

/** Every PromQL expression of the dashboard, with the panel it belongs to. */
export function dashboardExpressions(dashboard: Dashboard): Array<{ panel: string; expr: string }> {
  return dashboard.panels.flatMap((p) => ('targets' in p ? p.targets.map((t) => ({ panel: p.title, expr: t.expr })) : []));
}

/** Grafana's built-in interval variables, replaced by a duration so the expression parses as PromQL. */
const GRAFANA_INTERVALS = /\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?/g;

/**
 * The metric names an expression reads: the names of its vector selectors (`name{...}`, or a
 * `{__name__="name"}` matcher), never its functions, aggregations, labels (`by (...)`, matchers,
 * `on`/`ignoring`/`group_left`), durations or offsets. Throws on an expression that is not PromQL.
 */
export function metricNames(expr: string): string[] {
  const promql = expr.replace(GRAFANA_INTERVALS, '5m');
  const tree = parser.parse(promql);
  const names = new Set<string>();
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) {
        names.add(promql.slice(identifier.from, identifier.to));
        return;
      }
      const matchers = node.node.getChild('LabelMatchers');
      for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        const op = matcher.getChild('MatchOp');
        const value = matcher.getChild('StringLiteral');
        if (label && value && promql.slice(label.from, label.to) === '__name__') {
          if (promql.slice(op!.from, op!.to) !== '=') throw new Error(`a __name__ matcher other than = names no single metric: ${promql.slice(matcher.from, matcher.to)}`);
          names.add(JSON.parse(promql.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string);
        }
      }
    },
  });
  if (error !== undefined) throw new Error(`not valid PromQL at character ${error}: ${expr}`);
  return [...names];
}

/** What a set of exporters exposes: metric families with their types, and every sample name. */
export interface Exposed {
  families: Map<string, string>;
  samples: Set<string>;
}

const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;

/** Reads Prometheus text exposition (the format every exporter here serves) into names. */
export function exposedMetrics(...texts: string[]): Exposed {
  const exposed: Exposed = { families: new Map(), samples: new Set() };
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const type = /^# TYPE (\S+) (\w+)/.exec(line);
      if (type) exposed.families.set(type[1]!, type[2]!);
      if (line.startsWith('#') || line.trim() === '') continue;
      const name = METRIC_NAME.exec(line)?.[0];
      if (name) exposed.samples.add(name);
    }
  }
  return exposed;
}

/** Whether `name` is exposed: a sample of that name, or the `_bucket`/`_sum`/`_count` series of a histogram or summary. */
export function isExposed(name: string, exposed: Exposed): boolean {
  if (exposed.samples.has(name) || exposed.families.has(name)) return true;
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!series) return false;
  const type = exposed.families.get(series[1]!);
  return type === 'histogram' || (type === 'summary' && series[2] !== 'bucket');
}

/** The metric names the expressions read that no exporter exposes, with the panels that read them. */
export function unexposedMetrics(expressions: Array<{ panel: string; expr: string }>, exposed: Exposed): Array<{ metric: string; panel: string }> {
  return expressions.flatMap(({ panel, expr }) => metricNames(expr).filter((metric) => !isExposed(metric, exposed)).map((metric) => ({ metric, panel })));
}
