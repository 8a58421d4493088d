// ops/grafana/tipstream.json against the Grafana dashboard model, its provisioning files, and the
// metric-name extractor the integration test (test/integration/ops-metrics.test.ts) relies on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import {
  DATASOURCE_UID,
  dashboardExpressions,
  dashboardProblems,
  dashboardSchema,
  exposedMetrics,
  isExposed,
  metricNames,
  readDashboard,
  unexposedMetrics,
} from '../../support/grafana-dashboard.js';

const json = readDashboard();
const dashboard = dashboardSchema.parse(json);

describe('ops/grafana/tipstream.json', () => {
  it('has the fields Grafana needs: uid, title, schema version, panels with ids, types, titles, places and queries', () => {
    expect(dashboardProblems(json)).toEqual([]);
    expect(dashboard.uid).toBe('tipstream-ops');
    expect(dashboard.panels.filter((p) => p.type !== 'row').length).toBeGreaterThanOrEqual(12);
  });

  it('covers every view operators need, each panel by its title', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of [
      'Events in per stream',
      'Malformed records',
      'Trips joined vs rides read',
      'Late and unjoined (dead-lettered)',
      'Watermark lag',
      'Checkpoint duration',
      'Restarts',
      'Relay rows written',
      'Relay retries',
      'Relay lag',
      'udf-service request rate',
      'udf-service latency',
    ]) expect(titles).toContain(title);
  });

  it('shows the records with an implausible event time beside the malformed ones', () => {
    const malformed = dashboardExpressions(dashboard).filter((e) => e.panel === 'Malformed records').flatMap((e) => metricNames(e.expr));
    expect(malformed).toEqual(['tipstream_malformed_rides_total', 'tipstream_malformed_fares_total', 'tipstream_implausible_event_times_total']);
  });

  it('reads what the job dead-letters as unjoined or late for its window, and the late drops Flink and tipstream count', () => {
    const late = dashboardExpressions(dashboard).filter((e) => e.panel === 'Late and unjoined (dead-lettered)').flatMap((e) => metricNames(e.expr));
    expect(late).toEqual(expect.arrayContaining(['tipstream_unjoined_records_total', 'tipstream_late_trips_total', 'flink_taskmanager_job_task_operator_numLateRecordsDropped', 'tipstream_late_records_dropped_total']));
  });

  it('names the data source that provisioning creates', () => {
    const provisioned = parse(readFileSync(resolve('ops/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> };
    expect(provisioned.datasources).toEqual([expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus', url: 'http://prometheus:9090' })]);
  });

  it('is loaded by the dashboard provider from the folder docker-compose.yml mounts it into', () => {
    const providers = parse(readFileSync(resolve('ops/grafana/provisioning/dashboards/tipstream.yaml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) })]);
  });

  it('is scraped from every exporter the panels read by ops/prometheus/prometheus.yml', () => {
    const prometheus = parse(readFileSync(resolve('ops/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = Object.fromEntries(prometheus.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]));
    expect(targets).toEqual({
      'tipstream-metrics': ['metrics:9464'],
      'tipstream-relay': ['relay:9465'],
      'udf-service': ['udf-service:8090'],
      flink: ['jobmanager:9249', 'taskmanager:9249'],
    });
  });
});

describe('the dashboard model check', () => {
  const broken = structuredClone(json) as { panels: Array<Record<string, unknown>>; uid?: string };
  it('finds a duplicate panel id, a panel past the 24 columns, overlapping panels and a query that is not PromQL', () => {
    const panels = broken.panels.filter((p) => p.type !== 'row');
    panels[1]!.id = panels[0]!.id;
    panels[2]!.gridPos = { h: 8, w: 12, x: 16, y: (panels[2]!.gridPos as { y: number }).y };
    panels[4]!.gridPos = { ...(panels[3]!.gridPos as object) };
    (panels[3]!.targets as Array<{ expr: string }>)[0]!.expr = 'rate(tipstream_relay_retries_total[5m]';
    const problems = dashboardProblems(broken).join('\n');
    expect(problems).toMatch(/duplicate panel id/);
    expect(problems).toMatch(/past the 24 columns/);
    expect(problems).toMatch(/overlaps/);
    expect(problems).toMatch(/not valid PromQL/);
  });

  it('finds a missing uid, a target without expr and an undefined template variable', () => {
    const copy = structuredClone(json) as { uid?: string; panels: Array<{ type: string; targets?: Array<{ expr?: string }> }> };
    delete copy.uid;
    expect(dashboardProblems(copy).join('\n')).toMatch(/^uid: /m);
    const noExpr = structuredClone(json) as typeof copy;
    delete noExpr.panels.find((p) => p.type !== 'row')!.targets![0]!.expr;
    expect(dashboardProblems(noExpr).join('\n')).toMatch(/targets\.0\.expr/);
    const variable = structuredClone(json) as typeof copy;
    variable.panels.find((p) => p.type !== 'row')!.targets![0]!.expr = 'tipstream_job_restarts_total{job="$job"}';
    expect(dashboardProblems(variable).join('\n')).toMatch(/uses \$job, which templating does not define/);
  });
});

describe('metricNames', () => {
  it('keeps the selectors\' names and drops functions, aggregations, label matchers, by-clauses, ranges and offsets', () => {
    expect(metricNames('sum by (operator_name) (rate(flink_taskmanager_job_task_operator_numRecordsOut{operator_name=~"Source:_.*"}[$__rate_interval] offset 1m))')).toEqual([
      'flink_taskmanager_job_task_operator_numRecordsOut',
    ]);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(udf_request_duration_seconds_bucket{route="/lookup"}[5m])))')).toEqual(['udf_request_duration_seconds_bucket']);
    expect(metricNames('tipstream_source_records_total{stream="ride"} - ignoring(stream) tipstream_malformed_rides_total - on() group_left tipstream_trips_joined_total').sort()).toEqual([
      'tipstream_malformed_rides_total',
      'tipstream_source_records_total',
      'tipstream_trips_joined_total',
    ]);
    expect(metricNames('time() - max_over_time(tipstream_relay_last_commit_timestamp_seconds[10m:1m]) > bool 60')).toEqual(['tipstream_relay_last_commit_timestamp_seconds']);
    expect(metricNames('{__name__="tipstream_job_state", state="RUNNING"} == 1')).toEqual(['tipstream_job_state']);
    expect(metricNames('max by (state) (tipstream_job_state) == 1')).toEqual(['tipstream_job_state']);
  });

  it('refuses an expression that is not PromQL', () => {
    expect(() => metricNames('sum(rate(x[5m])')).toThrow(/not valid PromQL/);
    expect(() => metricNames('rate(x{a=}[5m])')).toThrow(/not valid PromQL/);
  });
});

describe('the exposure check', () => {
  const scraped = exposedMetrics(
    [
      '# HELP udf_request_duration_seconds HTTP request latency by route',
      '# TYPE udf_request_duration_seconds histogram',
      'udf_request_duration_seconds_bucket{le="0.001",route="/lookup"} 3',
      'udf_request_duration_seconds_sum{route="/lookup"} 0.002',
      'udf_request_duration_seconds_count{route="/lookup"} 3',
      '# TYPE tipstream_job_restarts_total gauge',
      'tipstream_job_restarts_total 0',
    ].join('\n'),
    'flink_taskmanager_job_task_operator_numLateRecordsDropped{operator_name="GlobalWindowAggregate_26_",} 0.0\n',
  );

  it('accepts names the exporters expose, histogram series included', () => {
    for (const name of ['udf_request_duration_seconds_bucket', 'udf_request_duration_seconds_sum', 'udf_request_duration_seconds_count', 'tipstream_job_restarts_total', 'flink_taskmanager_job_task_operator_numLateRecordsDropped']) {
      expect(isExposed(name, scraped)).toBe(true);
    }
  });

  it('flags a panel that names a metric nobody exposes', () => {
    const planted = [
      { panel: 'Restarts', expr: 'tipstream_job_restarts_total' },
      { panel: 'Planted', expr: 'sum by (route) (rate(udf_request_duration_seconds_bucket[5m])) / rate(tipstream_late_for_join_total[5m])' },
      { panel: 'Typo', expr: 'flink_taskmanager_job_task_operator_numLateRecordDropped' },
    ];
    expect(unexposedMetrics(planted, scraped)).toEqual([
      { metric: 'tipstream_late_for_join_total', panel: 'Planted' },
      { metric: 'flink_taskmanager_job_task_operator_numLateRecordDropped', panel: 'Typo' },
    ]);
  });

  it('does not take a counter\'s _count for a histogram series', () => {
    expect(isExposed('tipstream_job_restarts_total_count', scraped)).toBe(false);
    expect(isExposed('udf_request_duration_seconds_quantile', scraped)).toBe(false);
  });
});
