// bench:pipeline's scaling phase (BENCH_PHASES=scaling): the same trips, already in Kafka, through
// the job at parallelism 1, 2 and 4 on one TaskManager and then on two, and the Spark peer on
// local[1], local[2] and local[4], all in one run. Each line has trips/s and the cores each process
// kept busy; each tipstream run also has, sampled from Flink's REST API once the job has run a
// while, every vertex's busy and backpressured time per second (averaged over its subtasks, and
// the busiest subtask), which is where the time goes. Results are compared row for row with the
// peer's. On a 2-core machine the line is expected to flatten past 2: the table says how.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedConfig } from '../../common/config.js';
import { createProgress } from '../../common/progress.js';
import { FlinkRestClient } from '../../clients/index.js';
import { LocalStackProvider } from '../../stack/index.js';
import { machineState, waitForQuiet } from './machine-quiet.js';
import { compareResults, loadNow, median, runPeer, runTipstream, type RunInput, type SideResult } from './runs.js';
import { flinkRestOptions } from '../../common/client-options.js';
import { formatLoad, shortName, vertexLoads, type VertexLoad } from './job-sampler.js';

export interface ScalingPhaseOptions {
  config: ResolvedConfig;
  topics: RunInput;
  /** Processes to account CPU to besides the stack's (the udf-service). */
  extraPids: Record<string, number>;
  parallelisms?: number[];
  taskManagers?: number[];
  /** Seconds after every task runs at which Flink's per-vertex metrics are sampled. */
  sampleAfterSeconds?: number;
}

/** Runs `measure` between two looks at the machine, printed; noisy if either look was. */
async function watched<T>(label: string, measure: () => Promise<T>): Promise<{ result: T; noisy: boolean }> {
  const before = await waitForQuiet();
  console.log(`  ${label}; before: ${before.summary}`);
  const result = await measure();
  // After the run the load average is mostly the run's own: only other busy processes count.
  const after = await machineState();
  console.log(`    after: ${after.summary.replace(/; NOISY \(.*\)$/, '')}`);
  return { result, noisy: before.noisy || after.busy.length > 0 };
}

/** The stack's processes and their pids, as they are now (a resize starts new TaskManagers). */
async function stackPids(config: ResolvedConfig): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const s of await new LocalStackProvider(config, createProgress(false)).status()) {
    if (s.pid) pids[s.instance ?? s.service] = s.pid;
  }
  return pids;
}

async function resizeStack(config: ResolvedConfig, taskManagers: number): Promise<void> {
  const sized = { ...config, stack: { ...config.stack, taskManagers } };
  await new LocalStackProvider(sized, createProgress(false), { exactTaskManagers: true }).up();
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const deadline = Date.now() + 120_000;
  while ((await flink.slots()).taskManagers !== taskManagers) {
    if (Date.now() > deadline) throw new Error(`the cluster did not come to ${taskManagers} TaskManagers within 120 s`);
    await sleep(1_000);
  }
}

export async function runScalingPhase(options: ScalingPhaseOptions): Promise<void> {
  const { config, topics } = options;
  const parallelisms = options.parallelisms ?? [1, 2, 4];
  const taskManagerCounts = options.taskManagers ?? [1, 2];
  const sampleAfterMs = (options.sampleAfterSeconds ?? 10) * 1000;
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const startingTaskManagers = (await flink.slots()).taskManagers;
  console.log(`scaling: the same ${topics.rideTopic} / ${topics.fareTopic} at parallelism ${parallelisms.join(', ')} on ${taskManagerCounts.join(' and ')} TaskManager(s) of ${config.stack.taskSlots} slots, the peer at ${parallelisms.map((p) => `local[${p}]`).join(', ')}; ${loadNow()}`);

  const peers = new Map<number, SideResult & { noisy: boolean }>();
  for (const threads of parallelisms) {
    const { result, noisy } = await watched(`peer local[${threads}]`, () => runPeer(config, topics, threads));
    peers.set(threads, { ...result, noisy });
  }
  const reference = peers.get(parallelisms[0]!)!;
  for (const [threads, peer] of peers) {
    const difference = compareResults(peer.rows, reference.rows);
    if (difference) throw new Error(`the peer's results at local[${threads}] differ from local[${parallelisms[0]}]: ${difference}`);
  }

  const table: Array<{ taskManagers: number; parallelism: number; result: SideResult; noisy: boolean; bottleneck?: VertexLoad }> = [];
  try {
    for (const taskManagers of taskManagerCounts) {
      await resizeStack(config, taskManagers);
      const pids = { ...(await stackPids(config)), ...options.extraPids };
      for (const parallelism of parallelisms) {
        let loads: VertexLoad[] = [];
        const { result, noisy } = await watched(`${taskManagers} TaskManager(s), parallelism ${parallelism}`, () =>
          runTipstream(`${taskManagers} TM, parallelism ${parallelism}`, config, topics, pids, {
            parallelism,
            whileRunning: async (jobId) => {
              // Sampled once every task has run a while: a task still initializing counts as busy.
              // A job that finished first has nothing to sample: the line says so.
              try {
                await flink.waitForTasksRunning(jobId, 120_000);
                await sleep(sampleAfterMs);
                if ((await flink.job(jobId)).state === 'RUNNING') loads = await vertexLoads(config.flink.restUrl, jobId);
              } catch {
                loads = [];
              }
            },
          }),
        );
        const difference = compareResults(result.rows, reference.rows);
        if (difference) throw new Error(`parallelism ${parallelism} on ${taskManagers} TaskManager(s): the results differ from the peer's: ${difference}`);
        if (loads.length === 0) console.log(`    (the job finished within ${sampleAfterMs / 1000} s of its tasks running: no metrics sampled)`);
        for (const load of loads) {
          console.log(`    ${formatLoad(load)}`);
        }
        const bottleneck = [...loads].sort((a, b) => b.busyAvg - a.busyAvg)[0];
        table.push({ taskManagers, parallelism, result, noisy, ...(bottleneck ? { bottleneck } : {}) });
      }
    }
  } finally {
    await resizeStack(config, startingTaskManagers);
  }

  const fmt = (n: number, noisy: boolean) => `${Math.round(n).toLocaleString('en-US')}${noisy ? ' NOISY' : ''}`;
  console.log("scaling, trips/s (results equal to the peer's everywhere; NOISY: the machine was not quiet before that run, or another process was busy right after it):");
  console.log(`  ${'parallelism'.padEnd(12)}${taskManagerCounts.map((n) => `tipstream ${n} TM`.padStart(20)).join('')}${'peer local[P]'.padStart(20)}`);
  for (const parallelism of parallelisms) {
    const cells = taskManagerCounts.map((n) => {
      const row = table.find((r) => r.taskManagers === n && r.parallelism === parallelism)!;
      return fmt(row.result.tripsPerSecond, row.noisy).padStart(20);
    });
    const peer = peers.get(parallelism)!;
    console.log(`  ${String(parallelism).padEnd(12)}${cells.join('')}${fmt(peer.tripsPerSecond, peer.noisy).padStart(20)}`);
  }
  console.log('  the busiest vertex of each run (busy ms/s averaged over its subtasks):');
  for (const row of table) {
    if (row.bottleneck) console.log(`    ${row.taskManagers} TM, P ${row.parallelism}: ${Math.round(row.bottleneck.busyAvg)} ms/s busy, ${Math.round(row.bottleneck.backpressuredAvg)} backpressured: ${shortName(row.bottleneck.name)}`);
  }
  const perCore = table.filter((r) => r.parallelism === 1).map((r) => r.result.tripsPerSecond);
  console.log(`  one subtask each (parallelism 1): median ${fmt(median(perCore), table.some((r) => r.parallelism === 1 && r.noisy))} trips/s; ${loadNow()}`);
}
