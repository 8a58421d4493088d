// The pieces of bench:pipeline that run one side of a round: the Flink job over topics already
// filled (bounded, to FINISHED), the Spark peer over the same topics, and the row-for-row
// comparison of their results; with the CPU each process used and the machine's load.
import { promisify } from 'node:util';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { collectJobMetrics, deployJob } from '../../orchestrator/index.js';
import { ensureTopics, FlinkRestClient } from '../../clients/index.js';
import { deleteTopics, readMessages, uniqueName } from '../../test/support/kafka.js';
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import type { BenchInput } from './input.js';
import { formatLoad, sampleJob, type JobSample } from './job-sampler.js';

export const peerRun = process.env.BENCH_PEER_SPARK ?? resolve(projectRoot, '..', 'shared', 'peer-spark', 'run');
const execFileAsync = promisify(execFile);
/** Where the peer's setup keeps its venv and jars (its `run` script's default). */
const peerHome = process.env.PEER_SPARK_HOME ?? join(process.env.HOME ?? '', '.cache', 'peer-spark');
const ticksPerSecond = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

export interface StatsRow {
  windowEnd: string;
  neighborhood: string;
  rideCount: number;
  totalFareAmount: number;
  totalTipAmount: number;
  totalDistanceMiles: number;
}

/** Where a job's SQL templates and functions come from: sql/ and flink-udf/ unless given. */
export interface JobSources {
  sqlDir?: string;
  functionsSourceDir?: string;
}

export const loadNow = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

export interface SideResult {
  /** Over the whole run: tipstream's from Flink's job duration, the peer's over its main run. */
  tripsPerSecond: number;
  /** tipstream's through the join after the first 20% of the input; the peer's over its micro-batches after the first. */
  steadyTripsPerSecond: number | undefined;
  seconds: number;
  trips: number;
  rows: StatsRow[];
  /** What Flink's REST API said during a tipstream run. */
  sample?: JobSample;
}

/** The topics a run reads and how many trips they hold. */
export type RunInput = Pick<BenchInput, 'rideTopic' | 'fareTopic' | 'trips'>;

const mib = (bytes: number | undefined) => (bytes === undefined ? 'unknown' : `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`);
export const perSecond = (n: number | undefined) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));

/** The sampled figures of a run, as printed under it. */
export function describeSample(sample: JobSample): string {
  const steady = sample.steadySpan ? `${perSecond(sample.steadyTripsPerSecond)} trips/s steady (${Math.round(sample.steadySpan.trips).toLocaleString('en-US')} trips over ${sample.steadySpan.seconds.toFixed(1)} s after the first 20%)` : 'no steady rate (too few of Flink\'s 10 s metric refreshes after the first 20%)';
  return `${steady}; TaskManager heap in use at most ${mib(sample.heapMaxBytes)}; checkpoint state at most ${mib(sample.stateMaxBytes)} over ${sample.checkpoints} checkpoints`;
}

/** The TaskManager's JFR recording during one run: start it before, stop and summarize after. */
export class TaskManagerProfile {
  /** Where the recording is kept. */
  readonly recording: string;
  constructor(private readonly javaBin: string, private readonly pid: number, dir: string, label: string) {
    this.recording = join(dir, `${label.replace(/\W+/g, '-')}.jfr`);
  }
  async start(): Promise<void> {
    // JFR's default settings (a CPU sample every 20 ms): its 'profile' settings more than doubled
    // the TaskManager's time. Even these slow the job down (README, Benchmarks).
    await execFileAsync(join(this.javaBin, 'jcmd'), [String(this.pid), 'JFR.start', 'name=tipstream-bench', 'settings=default', `filename=${this.recording}`]);
  }
  /** Stops the recording; the share of CPU samples per package of the sampled (top) frame. */
  async stop(): Promise<Array<{ where: string; share: number }> & { samples?: number }> {
    await execFileAsync(join(this.javaBin, 'jcmd'), [String(this.pid), 'JFR.stop', 'name=tipstream-bench']);
    const { stdout } = await execFileAsync(join(this.javaBin, 'jfr'), ['print', '--events', 'jdk.ExecutionSample', '--stack-depth', '1', this.recording], { maxBuffer: 1 << 30 });
    const counts = new Map<string, number>();
    let total = 0;
    const lines = stdout.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.includes('stackTrace = [')) continue;
      // "    java.util.regex.Pattern$Slice.match(Matcher, int, CharSequence) line: 4047"
      const frame = lines[i + 1]!.trim().replace(/\(.*$/, '');
      const className = frame.slice(0, frame.lastIndexOf('.'));
      const where = className.includes('.') ? className.slice(0, className.lastIndexOf('.')) : className;
      counts.set(where, (counts.get(where) ?? 0) + 1);
      total += 1;
    }
    const table = [...counts].map(([where, n]) => ({ where, share: n / total })).sort((x, y) => y.share - x.share);
    return Object.assign(table, { samples: total });
  }
}

export interface TipstreamRunOptions {
  sources?: JobSources;
  profile?: TaskManagerProfile;
  /** The job's parallelism (default: job.parallelism). */
  parallelism?: number;
  /** Called once the job runs, with its id; what it returns is awaited before the job's end is (bench:pipeline's scaling phase samples Flink's metrics here). */
  whileRunning?: (jobId: string) => Promise<void>;
  /** job.exactlyOnce for this run (default: the configuration's). */
  exactlyOnce?: boolean;
  /** Print every vertex's busy and backpressured time, sampled at about 40% of the input. */
  showLoads?: boolean;
}

export async function runTipstream(label: string, config: ResolvedConfig, input: RunInput, pids: Record<string, number>, options: TipstreamRunOptions = {}): Promise<SideResult> {
  const topics = { rideTopic: input.rideTopic, fareTopic: input.fareTopic };
  const { sources = {}, profile } = options;
  const outputs = { deadLetterTopic: uniqueName('bench-dl'), statsTopic: uniqueName('bench-stats') };
  await ensureTopics(kafkaTopicOptions(config), Object.values(outputs));
  const runConfig = { ...config, job: { ...config.job, consumerGroup: uniqueName('bench-pipeline'), ...(options.parallelism ? { parallelism: options.parallelism } : {}), ...(options.exactlyOnce === undefined ? {} : { exactlyOnce: options.exactlyOnce }) } };
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = performance.now();
  await profile?.start();
  const deployment = await deployJob(runConfig, { bounded: true, topics: { ...topics, ...outputs }, jobName: `bench ${label}`, ...sources }, createProgress(false));
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const sampler = sampleJob(config.flink.restUrl, deployment.jobId, input.trips);
  await options.whileRunning?.(deployment.jobId);
  const job = await flink.waitForState(deployment.jobId, ['FINISHED'], 3_600_000);
  const wall = (performance.now() - started) / 1000;
  const sample = await sampler.stop();
  const table = await profile?.stop();
  // Flink's own job duration (submission to FINISHED): what the peer's main-run time compares with.
  const seconds = job.duration / 1000;
  const cpu = Object.entries(pids).map(([name, pid]) => `${name} ${((cpuSeconds(pid) - before[name]!) / wall).toFixed(2)}`).join(', ');
  const metrics = await collectJobMetrics(flink, deployment.jobId);
  const rows = (await readMessages(config.kafka.bootstrapServers, outputs.statsTopic, 1, 300_000, 5_000)).map((m) => JSON.parse(m.value) as StatsRow);
  const joined = rows.reduce((sum, r) => sum + r.rideCount, 0);
  console.log(`  tipstream ${label}: ${joined.toLocaleString('en-US')} trips in ${seconds.toFixed(1)} s (Flink's job duration) = ${Math.round(joined / seconds).toLocaleString('en-US')} trips/s; rides read ${metrics.ridesRead?.toLocaleString('en-US') ?? 'unknown'}, ${rows.length.toLocaleString('en-US')} window rows`);
  console.log(`    CPU, cores busy on average (submit to finish): ${cpu}`);
  console.log(`    ${describeSample(sample)}`);
  if (options.showLoads) {
    if (sample.loads.length === 0) console.log('    (no per-vertex figures: the job finished before 40% of its input had been sampled)');
    for (const load of sample.loads) console.log(`    ${formatLoad(load)}`);
  }
  if (profile && table) {
    console.log(`    TaskManager JFR (${profile.recording}, for \`jfr print\`), ${table.samples} CPU samples by package of the sampled frame:`);
    for (const { where, share } of table.slice(0, 12)) console.log(`      ${(share * 100).toFixed(1).padStart(5)}%  ${where}`);
  }
  await deleteTopics(config.kafka.bootstrapServers, Object.values(outputs)).catch(() => undefined);
  return { tripsPerSecond: joined / seconds, steadyTripsPerSecond: sample.steadyTripsPerSecond, seconds, trips: joined, rows, sample };
}

/** The Spark peer on the same topics; its headline is its main run's trips/s. */
export async function runPeer(config: ResolvedConfig, topics: RunInput, threads?: number): Promise<SideResult> {
  const out = await mkdtemp(join(tmpdir(), 'tipstream-bench-peer-'));
  const args = ['--bootstrap', config.kafka.bootstrapServers, '--rides-topic', topics.rideTopic, '--fares-topic', topics.fareTopic, '--window', '60', '--expected', 'none', '--out', out];
  const command = threads === undefined ? [peerRun, ...args] : await peerWithThreads(threads, args);
  const output: string[] = [];
  const code = await new Promise<number>((resolveCode, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PEER_SPARK_OUT: out, PEER_SPARK_JARS: join(peerHome, 'jars') } });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolveCode(exitCode ?? 1));
  });
  if (code !== 0) throw new Error(`the Spark peer failed (exit ${code}): ${output.join('').trim().split('\n').slice(-5).join(' | ')}`);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { tripsPerSecond: number; mainSeconds: number; joined: number; flushSeconds: number; tripsPerSecondAfterFirstBatch?: number; batchesMainRun?: number };
  const rows = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as StatsRow[];
  console.log(`  peer${threads === undefined ? '' : ` local[${threads}]`}: ${summary.joined.toLocaleString('en-US')} trips, main run ${summary.mainSeconds.toFixed(1)} s = ${Math.round(summary.tripsPerSecond).toLocaleString('en-US')} trips/s (flush run ${summary.flushSeconds.toFixed(1)} s not counted); steady ${perSecond(summary.tripsPerSecondAfterFirstBatch)} trips/s over its ${(summary.batchesMainRun ?? 1) - 1} micro-batches after the first; ${rows.length.toLocaleString('en-US')} window rows`);
  await rm(out, { recursive: true, force: true });
  return { tripsPerSecond: summary.tripsPerSecond, steadyTripsPerSecond: summary.tripsPerSecondAfterFirstBatch, seconds: summary.mainSeconds, trips: summary.joined, rows };
}

/** Row for row: the same (window end, neighborhood) keys, equal counts, sums within 1e-6. */
export function compareResults(ours: StatsRow[], peer: StatsRow[]): string | undefined {
  const key = (r: StatsRow) => `${windowTime(r.windowEnd)}|${r.neighborhood}`;
  const theirs = new Map(peer.map((r) => [key(r), r]));
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  let wrong = 0;
  let missing = 0;
  for (const r of ours) {
    const p = theirs.get(key(r));
    theirs.delete(key(r));
    if (!p) missing += 1;
    else if (r.rideCount !== p.rideCount || !close(r.totalFareAmount, p.totalFareAmount) || !close(r.totalTipAmount, p.totalTipAmount) || !close(r.totalDistanceMiles, p.totalDistanceMiles)) wrong += 1;
  }
  if (wrong === 0 && missing === 0 && theirs.size === 0) return undefined;
  return `${ours.length} rows against the peer's ${peer.length}: ${wrong} differ, ${missing} only in tipstream, ${theirs.size} only in the peer`;
}

export const windowTime = (text: string) => Date.parse(/[zZ]$|[+-]\d\d:\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The value at fraction `p` of values sorted in ascending order. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * The peer runs on `local[2]` with 2 shuffle partitions, fixed in its peer.py (../shared, read
 * only). For another number of threads, a copy of peer.py with only that master changed runs in
 * the peer's own venv, with as many shuffle partitions as threads; its boundaries are named
 * explicitly, since the copy does not sit beside ../shared/data.
 */
async function peerWithThreads(threads: number, args: string[]): Promise<string[]> {
  const peerDir = dirname(peerRun);
  await execFileAsync(join(peerDir, 'setup'), [], { maxBuffer: 16 * 1024 * 1024 });
  const copy = await mkdtemp(join(tmpdir(), 'tipstream-bench-peer-src-'));
  const original = await readFile(join(peerDir, 'peer.py'), 'utf8');
  if (!original.includes("master('local[2]')")) throw new Error(`${join(peerDir, 'peer.py')} no longer sets master('local[2]'): the scaling phase cannot change its threads`);
  await writeFile(join(copy, 'peer.py'), original.replaceAll('local[2]', `local[${threads}]`));
  await copyFile(join(peerDir, 'log4j2.properties'), join(copy, 'log4j2.properties'));
  const boundaries = resolve(peerDir, '..', 'data', 'neighborhoods', 'zillow-ny', 'ZillowNeighborhoods-NY.zip');
  return [join(peerHome, '.venv', 'bin', 'python'), join(copy, 'peer.py'), ...args, '--shuffle-partitions', String(threads), '--boundaries', boundaries];
}
