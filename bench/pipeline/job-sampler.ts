// What bench:pipeline reads from Flink's REST API while a bounded job runs, instead of a profiler:
// - the join's records in over time, for the steady-state rate (after the first 20% of the input,
//   so start-up is left out, as the peer's first micro-batch is);
// - every vertex's busy and backpressured time per second, once, at about 40% of the input;
// - the TaskManagers' heap in use (the largest seen) and the checkpoints' state size (the largest).
// One request a second, and the heap every fifth: light enough not to be what it measures.
// Flink refreshes these figures at most every 10 s (metrics.fetcher.update-interval), so a count
// is taken at the poll where it changed, and a run shorter than a few refreshes has no steady rate.
import axios from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';

export interface VertexLoad {
  name: string;
  parallelism: number;
  busyAvg: number;
  busyMax: number;
  backpressuredAvg: number;
}

/** Busy and backpressured ms/s of every vertex of a running job, averaged over its subtasks. */
export async function vertexLoads(restUrl: string, jobId: string): Promise<VertexLoad[]> {
  const { data: job } = await axios.get<{ vertices: Array<{ id: string; name: string; parallelism: number }> }>(`${restUrl}/jobs/${jobId}`);
  const loads: VertexLoad[] = [];
  for (const vertex of job.vertices) {
    const { data } = await axios.get<Array<{ id: string; avg?: number; max?: number }>>(`${restUrl}/jobs/${jobId}/vertices/${vertex.id}/subtasks/metrics`, {
      params: { get: 'busyTimeMsPerSecond,backPressuredTimeMsPerSecond', agg: 'avg,max' },
    });
    const metric = (id: string) => data.find((m) => m.id === id);
    loads.push({
      name: vertex.name,
      parallelism: vertex.parallelism,
      busyAvg: metric('busyTimeMsPerSecond')?.avg ?? Number.NaN,
      busyMax: metric('busyTimeMsPerSecond')?.max ?? Number.NaN,
      backpressuredAvg: metric('backPressuredTimeMsPerSecond')?.avg ?? Number.NaN,
    });
  }
  return loads;
}

/** A vertex's name, short enough for a line: its operators, without their field lists. */
export const shortName = (name: string) =>
  name
    .replace(/\[\d+\]:/g, '')
    .replace(/\([^()]*(\([^()]*\)[^()]*)*\)/g, '')
    .replace(/\s+/g, ' ')
    .slice(0, 90);

export const formatLoad = (load: VertexLoad) =>
  `${String(Math.round(load.busyAvg)).padStart(4)} ms/s busy (busiest subtask ${String(Math.round(load.busyMax)).padStart(4)}), ${String(Math.round(load.backpressuredAvg)).padStart(4)} ms/s backpressured, ×${load.parallelism}: ${shortName(load.name)}`;

export interface JobSample {
  /** Trips per second through the join after the first 20% of the input; undefined when too few counts were seen. */
  steadyTripsPerSecond: number | undefined;
  /** Over how many seconds and trips the steady rate was measured. */
  steadySpan?: { seconds: number; trips: number };
  /** Per vertex, at about 40% of the input; empty when the job finished first. */
  loads: VertexLoad[];
  /** The largest heap in use seen on any TaskManager, bytes. */
  heapMaxBytes: number | undefined;
  /** The largest state size of the job's completed checkpoints, bytes, and how many completed. */
  stateMaxBytes: number | undefined;
  checkpoints: number;
}

interface JobDetails {
  state: string;
  vertices: Array<{ name: string; metrics?: Record<string, number> }>;
}

/** The vertex that holds the join: both streams' records go in there, one ride and one fare per trip. */
function joinRecordsIn(job: JobDetails): number | undefined {
  const vertex = job.vertices.find((v) => v.name.includes('IntervalJoin')) ?? job.vertices.find((v) => v.name.includes('Join'));
  return vertex?.metrics?.['read-records'];
}

async function heapInUse(restUrl: string): Promise<number | undefined> {
  const { data } = await axios.get<{ taskmanagers: Array<{ id: string }> }>(`${restUrl}/taskmanagers`);
  let largest: number | undefined;
  for (const tm of data.taskmanagers) {
    const { data: metrics } = await axios.get<Array<{ id: string; value: string }>>(`${restUrl}/taskmanagers/${tm.id}/metrics`, { params: { get: 'Status.JVM.Memory.Heap.Used' } });
    const used = Number(metrics[0]?.value);
    if (Number.isFinite(used)) largest = Math.max(largest ?? 0, used);
  }
  return largest;
}

/**
 * Samples a running job until `stop()`; `trips` is the input's size, which places the 20% and 40%
 * marks. Errors of single polls are skipped: the figures then rest on fewer samples.
 */
export function sampleJob(restUrl: string, jobId: string, trips: number): { stop: () => Promise<JobSample> } {
  const counts: Array<{ at: number; records: number }> = [];
  let loads: VertexLoad[] = [];
  let heapMaxBytes: number | undefined;
  let stopped = false;
  const loop = (async () => {
    for (let poll = 0; !stopped; poll++) {
      try {
        const { data: job } = await axios.get<JobDetails>(`${restUrl}/jobs/${jobId}`);
        if (job.state !== 'RUNNING') break;
        const records = joinRecordsIn(job);
        if (records !== undefined && records !== counts.at(-1)?.records) counts.push({ at: performance.now(), records });
        if (loads.length === 0 && records !== undefined && records >= 0.4 * 2 * trips) loads = await vertexLoads(restUrl, jobId);
        if (poll % 5 === 0) {
          const heap = await heapInUse(restUrl);
          if (heap !== undefined) heapMaxBytes = Math.max(heapMaxBytes ?? 0, heap);
        }
      } catch {
        // One poll lost: the figures rest on the others.
      }
      await sleep(1_000);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      const { data: checkpoints } = await axios
        .get<{ counts?: { completed?: number }; summary?: { state_size?: { max?: number }; checkpointed_size?: { max?: number } } }>(`${restUrl}/jobs/${jobId}/checkpoints`)
        .catch(() => ({ data: {} as { counts?: { completed?: number }; summary?: { state_size?: { max?: number } } } }));
      const completed = checkpoints.counts?.completed ?? 0;
      const steady = steadyRate(counts, trips);
      return {
        steadyTripsPerSecond: steady?.tripsPerSecond,
        ...(steady ? { steadySpan: steady.span } : {}),
        loads,
        heapMaxBytes,
        stateMaxBytes: completed > 0 ? checkpoints.summary?.state_size?.max : undefined,
        checkpoints: completed,
      };
    },
  };
}

/**
 * Trips per second between the first count at or past 20% of the input and the last count seen
 * before the end (two records into the join per trip); undefined with fewer than two such counts.
 */
export function steadyRate(counts: Array<{ at: number; records: number }>, trips: number): { tripsPerSecond: number; span: { seconds: number; trips: number } } | undefined {
  const from = counts.find((c) => c.records >= 0.2 * 2 * trips);
  const to = counts.at(-1);
  if (!from || !to || to.at <= from.at) return undefined;
  const seconds = (to.at - from.at) / 1000;
  const joined = (to.records - from.records) / 2;
  return { tripsPerSecond: joined / seconds, span: { seconds, trips: joined } };
}
