// The Grafana dashboard's metric names against the real exporters: with a job running on the
// real stack (trips in, malformed and late ones among them, results relayed into Cassandra),
// `tipstream metrics --serve`, `tipstream relay --metrics-port`, the udf-service's /metrics and
// Flink's Prometheus reporter on the JobManager and the TaskManager are scraped, and every metric
// every PromQL expression of ops/grafana/tipstream.json reads must be exposed by one of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { envName, loadConfig, projectRoot, type ResolvedConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { deployJob } from '../../orchestrator/index.js';
import { startUdfService } from '../../udf-service/index.js';
import { dashboardExpressions, dashboardProblems, dashboardSchema, exposedMetrics, metricNames, readDashboard, unexposedMetrics, type Exposed } from '../support/grafana-dashboard.js';
import { deleteTopics, uniqueName } from '../support/kafka.js';
import { freePort } from '../support/free-port.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';

const base = loadConfig();
const topics = { rideTopic: uniqueName('ops-rides'), fareTopic: uniqueName('ops-fares'), deadLetterTopic: uniqueName('ops-dead'), statsTopic: uniqueName('ops-stats') };
const keyspace = `ops_${uniqueName('k').slice(2).replace(/-/g, '')}`;
const children: ChildProcess[] = [];
let service: Awaited<ReturnType<typeof startUdfService>> | undefined;
let config: ResolvedConfig;
let jobId: string | undefined;

/** The settings of this run as the environment of a `tipstream` child process. */
function childEnv(): NodeJS.ProcessEnv {
  const settings: Record<string, string> = {
    stateDir: config.stateDir,
    'kafka.rideTopic': topics.rideTopic,
    'kafka.fareTopic': topics.fareTopic,
    'kafka.deadLetterTopic': topics.deadLetterTopic,
    'kafka.statsTopic': topics.statsTopic,
    'cassandra.keyspace': keyspace,
    'relay.consumerGroup': uniqueName('ops-relay'),
  };
  return { ...process.env, ...Object.fromEntries(Object.entries(settings).map(([path, value]) => [envName(path), value])) };
}

/** A `tipstream` command as a person runs it, its stderr kept for a failure message. */
function tipstream(args: string[]): { process: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['bin/tipstream.js', ...args], { cwd: projectRoot, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: child, output: () => output };
}

async function scrape(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Flink's reporter listens on the first free port of a range, one per Flink process: find the JobManager's and the TaskManager's. */
async function flinkReporters(): Promise<{ jobmanager?: string; taskmanager?: string }> {
  const first = base.stack.ports.flinkPrometheusFirst;
  const found: { jobmanager?: string; taskmanager?: string } = {};
  for (let port = first; port <= first + 10; port += 1) {
    const text = await scrape(`http://${base.host}:${port}/metrics`);
    if (text?.includes('# TYPE flink_jobmanager_')) found.jobmanager = `${found.jobmanager ?? ''}${text}`;
    else if (text?.includes('# TYPE flink_taskmanager_')) found.taskmanager = `${found.taskmanager ?? ''}${text}`;
  }
  return found;
}

/**
 * The job's state, its last failure and every vertex's input watermark per subtask (null: none
 * yet), for a failure message: the watermark-lag gauge needs every subtask of the window aggregate
 * to have one, and a job restarted after reading all its input has none until new records come.
 */
async function jobWatermarks(id: string): Promise<string> {
  const flink = new FlinkRestClient(flinkRestOptions(base));
  try {
    const job = await flink.job(id);
    const lines = await Promise.all(job.vertices.map(async (v) => `  ${v.name.slice(0, 100)}: ${JSON.stringify(await flink.vertexWatermarks(id, v.id))}`));
    const failure = await flink.lastFailure(id);
    return [`  state ${job.state}; last failure: ${failure ? `${failure.at} ${failure.summary}` : 'none'}`, ...lines].join('\n');
  } catch (err) {
    return `  unavailable: ${(err as Error).message}`;
  }
}

beforeAll(async () => {
  service = await startUdfService({ boundaries: base.udf.boundaries, nameField: base.udf.nameField, port: 0 });
  config = loadConfig({
    overrides: {
      stateDir: mkdtempSync(join(tmpdir(), 'tipstream-ops-')),
      kafka: topics,
      cassandra: { keyspace },
      job: { udfLookupUrl: `${service.url}/lookup`, windowSize: '1 minute', checkpointInterval: '2 s', consumerGroup: uniqueName('ops-job') },
    },
  });
  await ensureTopics(kafkaTopicOptions(config), Object.values(topics));
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  if (jobId) await new FlinkRestClient(flinkRestOptions(base)).cancel(jobId).catch(() => undefined);
  await service?.close();
  await deleteTopics(base.kafka.bootstrapServers, Object.values(topics)).catch(() => undefined);
  const client = new cassandra.Client({ contactPoints: base.cassandra.contactPoints, localDataCenter: base.cassandra.localDataCenter, protocolOptions: { port: base.cassandra.port } });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

it('names only metrics that the running exporters expose, in every panel of the Grafana dashboard', async () => {
  const json = readDashboard();
  expect(dashboardProblems(json)).toEqual([]);
  const expressions = dashboardExpressions(dashboardSchema.parse(json));

  // Trips with malformed and late ones among them, an unbounded job over them, and the exporters.
  const generator = tipstream(['generate', '--max-trips', '3000', '--malformed-rate', '0.02', '--late-rate', '0.02']);
  const [code] = (await once(generator.process, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tipstream generate exited with ${code}:\n${generator.output()}`);
  jobId = (await deployJob(config, { bounded: false, jobName: 'ops-metrics-test' }, createProgress(false))).jobId;
  const metricsPort = await freePort();
  const relayPort = await freePort();
  const metrics = tipstream(['metrics', '--serve', '--port', String(metricsPort), '--interval', '1']);
  const relay = tipstream(['relay', '--metrics-port', String(relayPort)]);
  const endpoints = {
    'tipstream metrics --serve': `http://${base.host}:${metricsPort}/metrics`,
    'tipstream relay --metrics-port': `http://${base.host}:${relayPort}/metrics`,
    'udf-service': `${service!.url}/metrics`,
  };

  // Gauges appear from the first poll that saw them (a checkpoint, a window watermark, a relay lag
  // sample): scrape until every name the panels read is there, or the deadline says which are not.
  let exposed: Exposed = exposedMetrics();
  let byExporter: Record<string, string> = {};
  let missing = unexposedMetrics(expressions, exposed);
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const flink = await flinkReporters();
    byExporter = {
      ...Object.fromEntries(await Promise.all(Object.entries(endpoints).map(async ([name, url]) => [name, (await scrape(url)) ?? ''] as const))),
      'Flink JobManager reporter': flink.jobmanager ?? '',
      'Flink TaskManager reporter': flink.taskmanager ?? '',
    };
    exposed = exposedMetrics(...Object.values(byExporter));
    missing = unexposedMetrics(expressions, exposed);
    if (missing.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  if (missing.length > 0) process.stderr.write(`still unexposed after 240 s: ${JSON.stringify(missing)}\njob:\n${await jobWatermarks(jobId!)}\nmetrics:\n${metrics.output()}\nrelay:\n${relay.output()}\n`);
  expect(missing).toEqual([]);

  // Every exporter answered, and every one of them is read by some panel.
  const used = new Set(expressions.flatMap((e) => metricNames(e.expr)));
  for (const [name, text] of Object.entries(byExporter)) {
    expect({ name, answered: text.length > 0 }).toEqual({ name, answered: true });
    const own = exposedMetrics(text);
    expect({ name, read: [...used].some((metric) => own.samples.has(metric) || own.families.has(metric.replace(/_(bucket|sum|count)$/, ''))) }).toEqual({ name, read: true });
  }
  // The late drops the panel reads are really there, from Flink and from tipstream.
  expect(byExporter['Flink TaskManager reporter']).toMatch(/^flink_taskmanager_job_task_operator_numLateRecordsDropped\{.*operator_name="GlobalWindowAggregate_\d+_"/m);
  expect(byExporter['tipstream metrics --serve']).toMatch(/^tipstream_late_records_dropped_total \d+/m);
  process.stdout.write(`ops metrics: ${used.size} metric names in ${expressions.length} expressions, all exposed by ${Object.keys(byExporter).join(', ')}\n`);
}, 420_000);
