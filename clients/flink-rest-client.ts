// A typed client of the parts of Flink's REST API the orchestrator uses: job state, vertices and
// their metrics, checkpoints, cancel and stop-with-savepoint.
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { InfrastructureError } from '../common/errors.js';
import { pollUntil, systemClock, type Clock } from '../common/retry.js';

export type JobState =
  | 'INITIALIZING' | 'CREATED' | 'RUNNING' | 'FAILING' | 'FAILED' | 'CANCELLING' | 'CANCELED'
  | 'FINISHED' | 'RESTARTING' | 'SUSPENDED' | 'RECONCILING';

export const terminalStates: readonly JobState[] = ['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED'];

export interface JobVertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  /** Summed over subtasks; a `-complete` flag is false while some subtask's count has not been fetched yet. */
  metrics: { 'read-records': number; 'write-records': number; 'read-records-complete'?: boolean; 'write-records-complete'?: boolean };
}

export interface JobDetails {
  jid: string;
  name: string;
  state: JobState;
  'start-time': number;
  duration: number;
  vertices: JobVertex[];
}

/**
 * A Java stack trace in one line: its first line (the exception Flink saw) and, when there is
 * one, the innermost cause, which is usually what to fix. `java.lang.Exception: Could not complete
 * the stream element … (cause: HttpStatusCodeValidationFailedException: Incorrect response code: 500)`.
 */
export function summarizeStackTrace(trace: string): string {
  const lines = trace.split('\n');
  const shorten = (line: string) => {
    const text = line.trim().replace(/^Caused by: /, '');
    const match = /^([\w.$]+\.)?([\w$]*(?:Exception|Error|Throwable))(:.*)?$/.exec(text);
    const short = match ? `${match[2]}${match[3] ?? ''}` : text;
    return short.length > 240 ? `${short.slice(0, 239)}…` : short;
  };
  const first = shorten(lines[0] ?? '');
  // Top-level causes start the line; suppressed ones and their causes are indented.
  const causes = lines.filter((line) => line.startsWith('Caused by: '));
  const innermost = causes.length > 0 ? shorten(causes[causes.length - 1]!) : undefined;
  return innermost && innermost !== first ? `${first} (cause: ${innermost})` : first;
}

/** Where Flink's REST API answers (common/client-options.ts fills it from the settings). */
export interface FlinkRestOptions {
  url: string;
  /** The clock the waits for a job state run on (tests give their own). */
  clock?: Clock;
}

export class FlinkRestClient {
  readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly http: AxiosInstance;

  constructor(options: FlinkRestOptions) {
    this.baseUrl = options.url;
    this.clock = options.clock ?? systemClock;
    this.http = axios.create({ baseURL: this.baseUrl.replace(/\/$/, ''), timeout: 15_000 });
  }

  async job(jobId: string): Promise<JobDetails> {
    return this.get(`/jobs/${jobId}`, `reading job ${jobId}`);
  }

  /** The job's latest failure, summarized (Flink 2 keeps it only in the exception history). */
  async lastFailure(jobId: string): Promise<{ at: string; summary: string } | undefined> {
    const data = await this.get<{ 'root-exception'?: string; timestamp?: number; exceptionHistory?: { entries?: Array<{ stacktrace?: string; timestamp?: number }> } }>(
      `/jobs/${jobId}/exceptions?maxExceptions=1`,
      `reading job ${jobId}'s exceptions`,
    );
    const latest = data.exceptionHistory?.entries?.[0];
    const trace = latest?.stacktrace ?? data['root-exception'];
    const at = latest?.timestamp ?? data.timestamp;
    if (!trace) return undefined;
    return { at: at ? new Date(at).toISOString() : 'unknown', summary: summarizeStackTrace(trace) };
  }

  /** The latest failure's summary, if the job has failed at all. */
  async rootException(jobId: string): Promise<string | undefined> {
    return (await this.lastFailure(jobId))?.summary;
  }

  /** A job-level metric (such as numRestarts). */
  async jobMetric(jobId: string, metric: string): Promise<number | undefined> {
    const data = await this.get<Array<{ id: string; value: string }>>(`/jobs/${jobId}/metrics?get=${encodeURIComponent(metric)}`, `reading ${metric} of job ${jobId}`);
    const value = Number(data.find((m) => m.id === metric)?.value);
    return Number.isFinite(value) ? value : undefined;
  }

  /** Sums a metric over a vertex's subtasks. */
  async vertexMetric(jobId: string, vertexId: string, metric: string): Promise<number | undefined> {
    const data = await this.get<Array<{ id: string; sum?: number }>>(
      `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?get=${encodeURIComponent(metric)}&agg=sum`,
      `reading ${metric} of job ${jobId}`,
    );
    return data.find((m) => m.id === metric)?.sum;
  }

  /** Each subtask's current input watermark (ms since the epoch; no watermark yet is Long.MIN_VALUE, returned as null). */
  async vertexWatermarks(jobId: string, vertexId: string): Promise<Array<number | null>> {
    const data = await this.get<Array<{ id: string; value: string }>>(`/jobs/${jobId}/vertices/${vertexId}/watermarks`, `reading watermarks of job ${jobId}`);
    return data
      .filter((w) => w.id.endsWith('.currentInputWatermark'))
      .map((w) => {
        const value = Number(w.value);
        return Number.isFinite(value) && value > 0 ? value : null;
      });
  }

  async vertexMetricIds(jobId: string, vertexId: string): Promise<string[]> {
    const data = await this.get<Array<{ id: string }>>(`/jobs/${jobId}/vertices/${vertexId}/metrics`, `listing metrics of job ${jobId}`);
    return data.map((m) => m.id);
  }

  async checkpoints(jobId: string): Promise<{ counts: { completed: number; failed: number }; latest?: { completed?: { latest_ack_timestamp: number; end_to_end_duration: number } } }> {
    return this.get(`/jobs/${jobId}/checkpoints`, `reading checkpoints of job ${jobId}`);
  }

  /** The cluster's configuration, as the JobManager reports it (key → value). */
  async clusterConfig(): Promise<Record<string, string>> {
    const entries = await this.get<Array<{ key: string; value: string }>>('/jobmanager/config', 'reading the JobManager configuration');
    return Object.fromEntries(entries.map((e) => [e.key, e.value]));
  }

  /** Task slots of the TaskManagers the JobManager knows: all, and free. */
  async slots(): Promise<{ total: number; free: number; taskManagers: number }> {
    const overview = await this.get<{ 'slots-total': number; 'slots-available': number; taskmanagers: number }>('/overview', 'reading the cluster overview');
    return { total: overview['slots-total'], free: overview['slots-available'], taskManagers: overview.taskmanagers };
  }

  /**
   * Waits until every vertex of the job runs (or has finished): a job is RUNNING as soon as it is
   * scheduled, while its tasks may still wait for slots.
   */
  async waitForTasksRunning(jobId: string, timeoutMs: number): Promise<JobDetails> {
    let last: JobDetails | undefined;
    try {
      return await pollUntil(
        `the tasks of job ${jobId}`,
        async () => {
          last = await this.job(jobId);
          if (terminalStates.includes(last.state) && last.state !== 'FINISHED') {
            const cause = await this.rootException(jobId).catch(() => undefined);
            throw new InfrastructureError('TIPSTREAM_START', `job ${jobId} ended ${last.state}${cause ? `: ${cause}` : ''}`);
          }
          return last.vertices.length > 0 && last.vertices.every((v) => v.status === 'RUNNING' || v.status === 'FINISHED') ? last : undefined;
        },
        { timeoutMs, intervalMs: 500, clock: this.clock, giveUp: () => true },
      );
    } catch (err) {
      if (err instanceof InfrastructureError && err.code === 'TIPSTREAM_TIMEOUT') {
        const waiting = last?.vertices.filter((v) => v.status !== 'RUNNING' && v.status !== 'FINISHED').map((v) => `${v.name.slice(0, 60)} ${v.status}`) ?? [];
        throw new InfrastructureError('TIPSTREAM_TIMEOUT', `job ${jobId}'s tasks are not all running after ${timeoutMs / 1000} s (${waiting.slice(0, 3).join('; ')}): too few free slots?`);
      }
      throw err;
    }
  }

  async cancel(jobId: string): Promise<void> {
    await this.request(() => this.http.patch(`/jobs/${jobId}?mode=cancel`), `cancelling job ${jobId}`);
  }

  /** Stops the job with a savepoint and returns the savepoint's location. */
  async stopWithSavepoint(jobId: string, targetDirectory: string | undefined, timeoutMs = 300_000): Promise<string> {
    const { 'request-id': trigger } = await this.request<{ 'request-id': string }>(
      () => this.http.post(`/jobs/${jobId}/stop`, { drain: false, ...(targetDirectory ? { targetDirectory } : {}) }),
      `stopping job ${jobId} with a savepoint`,
    );
    const location = await pollUntil(
      `the savepoint of job ${jobId}`,
      async () => {
        const status = await this.get<{ status: { id: string }; operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string } } }>(
          `/jobs/${jobId}/savepoints/${trigger}`,
          `following the savepoint of job ${jobId}`,
        );
        if (status.status.id !== 'COMPLETED') return undefined;
        if (status.operation?.location) return status.operation.location;
        const cause = status.operation?.['failure-cause']?.['stack-trace']?.split('\n')[0] ?? 'unknown cause';
        throw new InfrastructureError('TIPSTREAM_START', `the savepoint of job ${jobId} failed: ${cause}`);
      },
      { timeoutMs, intervalMs: 500, clock: this.clock, giveUp: () => true },
    ).catch((err: unknown) => {
      if (err instanceof InfrastructureError && err.code === 'TIPSTREAM_TIMEOUT') {
        throw new InfrastructureError('TIPSTREAM_TIMEOUT', `the savepoint of job ${jobId} did not complete within ${timeoutMs / 1000} s`);
      }
      throw err;
    });
    return location;
  }

  /** Waits until the job reaches one of `states`; a terminal state not asked for is an error naming Flink's cause. */
  async waitForState(jobId: string, states: JobState[], timeoutMs: number): Promise<JobDetails> {
    let last: JobDetails | undefined;
    try {
      return await pollUntil(
        `job ${jobId}`,
        async () => {
          last = await this.job(jobId);
          if (states.includes(last.state)) return last;
          if (terminalStates.includes(last.state)) {
            const cause = await this.rootException(jobId).catch(() => undefined);
            throw new InfrastructureError('TIPSTREAM_START', `job ${jobId} ended ${last.state}${cause ? `: ${cause}` : ''}`);
          }
          return undefined;
        },
        { timeoutMs, intervalMs: 500, clock: this.clock, giveUp: () => true },
      );
    } catch (err) {
      if (err instanceof InfrastructureError && err.code === 'TIPSTREAM_TIMEOUT') {
        throw new InfrastructureError('TIPSTREAM_TIMEOUT', `job ${jobId} is ${last?.state ?? 'unknown'}, not ${states.join(' or ')}, after ${timeoutMs / 1000} s`);
      }
      throw err;
    }
  }

  private get<T>(path: string, what: string): Promise<T> {
    return this.request(() => this.http.get(path), what);
  }

  /** Whether Flink answers but does not know the job (404): a JobManager restarted without it. */
  async knowsJob(jobId: string): Promise<boolean> {
    try {
      await this.http.get(`/jobs/${jobId}`);
      return true;
    } catch (err) {
      if (isAxiosError(err) && err.response?.status === 404) return false;
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `reading job ${jobId} failed against Flink at ${this.baseUrl}`, { cause: err, retriable: true });
    }
  }

  private async request<T>(run: () => Promise<{ data: T }>, what: string): Promise<T> {
    try {
      return (await run()).data;
    } catch (err) {
      const detail = isAxiosError(err) ? (err.response ? `HTTP ${err.response.status}: ${JSON.stringify(err.response.data).slice(0, 200)}` : err.code) : undefined;
      throw new InfrastructureError('TIPSTREAM_UNREACHABLE', `${what} failed against Flink at ${this.baseUrl}${detail ? ` (${detail})` : ''}`, { cause: err, retriable: true });
    }
  }
}
