// The relay's batch step with fake sinks and fake records: what it writes where, when it commits,
// what it retries and when it stops.
import { batchRows, type OpenedResultSink, type ResultBatch, type WindowResult } from '../../../clients/index.js';
import { InfrastructureError } from '../../../common/errors.js';
import { fakeClock } from '../../../common/retry.js';
import { BatchWriter, type RelayMessage } from '../../../orchestrator/relay/batch-writer.js';
import { RelayMetrics } from '../../../orchestrator/relay/metrics.js';
import { openSinks } from '../../../orchestrator/relay/sinks.js';

function result(i: number): WindowResult {
  const end = Date.UTC(2013, 0, 1, 0, i + 1);
  return { windowStart: new Date(end - 60_000).toISOString(), windowEnd: new Date(end).toISOString(), neighborhood: `N${i}`, rideCount: 1, totalFareAmount: 10, totalTipAmount: 1, averageFareAmount: 10, averageTipAmount: 1, totalDistanceMiles: 2, averageTipPerMile: 0.5 };
}

/** Records as the consumer hands them over; `commits` lists each commit in order. */
function records(values: Array<{ partition: number; offset: number; value: string }>, commits: string[]): RelayMessage[] {
  return values.map(({ partition, offset, value }) => ({ partition, offset: BigInt(offset), value, commit: async () => void commits.push(`${partition}@${offset}`) }));
}

const retriableError = Object.assign(new Error('overloaded'), { retriable: true });

/** A sink that keeps every batch; `fail` decides per attempt whether a write throws. */
function fakeSink(name: string, fail: (attempt: number) => Error | undefined = () => undefined) {
  const batches: ResultBatch[] = [];
  const recovered: unknown[] = [];
  let attempts = 0;
  const sink: OpenedResultSink = {
    name,
    target: `the ${name} sink`,
    write: async (batch, retrying) =>
      retrying(async () => {
        const error = fail(++attempts);
        if (error) throw error;
        batches.push(batch);
      }),
    retriable: (err) => (err as { retriable?: boolean }).retriable === true,
    recover: (err) => void recovered.push(err),
    describe: (err) => (err as Error).message,
    close: async () => undefined,
  };
  return { sink, batches, recovered, attempts: () => attempts };
}

function writer(sinks: OpenedResultSink[], budgetMs = 60_000, onRows?: (rows: WindowResult[]) => void) {
  const metrics = new RelayMetrics();
  const clock = fakeClock();
  return { metrics, clock, writer: new BatchWriter({ topic: 'results', sinks, policy: { budgetMs, initialDelayMs: 250, maxDelayMs: 10_000 }, metrics, clock, onRows }) };
}

const twoPartitions = (commits: string[]) =>
  records(
    [
      { partition: 0, offset: 10, value: JSON.stringify(result(0)) },
      { partition: 1, offset: 4, value: JSON.stringify(result(1)) },
      { partition: 0, offset: 11, value: 'not json' },
      { partition: 0, offset: 12, value: JSON.stringify(result(2)) },
    ],
    commits,
  );

describe("the relay's batch writer", () => {
  it('gives every sink every row, by partition with its offsets, and leaves out what is not a result', async () => {
    const a = fakeSink('a');
    const b = fakeSink('b');
    const commits: string[] = [];
    const { metrics, writer: w } = writer([a.sink, b.sink]);
    await w.write(twoPartitions(commits));
    for (const sink of [a, b]) {
      expect(sink.batches).toHaveLength(1);
      expect(batchRows(sink.batches[0]!).map((r) => r.neighborhood)).toEqual(['N0', 'N2', 'N1']);
      expect(sink.batches[0]!.parts.map(({ partition, firstOffset, lastOffset }) => ({ partition, firstOffset, lastOffset }))).toEqual([
        { partition: 0, firstOffset: 10n, lastOffset: 12n },
        { partition: 1, firstOffset: 4n, lastOffset: 4n },
      ]);
    }
    expect(commits).toEqual(['0@12', '1@4']);
    expect(metrics.counters).toEqual({ written: 3, retries: 0, rejected: 1, commits: 1 });
  });

  it('commits only once every sink has confirmed the batch', async () => {
    const commits: string[] = [];
    let release!: () => void;
    const slow: OpenedResultSink = { ...fakeSink('slow').sink, write: (_batch, retrying) => retrying(() => new Promise<void>((resolve) => (release = resolve))) };
    const fast = fakeSink('fast');
    const { writer: w } = writer([fast.sink, slow]);
    const writing = w.write(twoPartitions(commits));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fast.batches).toHaveLength(1);
    expect(commits).toEqual([]);
    release();
    await writing;
    expect(commits).toEqual(['0@12', '1@4']);
  });

  it('retries a write its sink calls retriable, asks the sink to recover first, then commits', async () => {
    const flaky = fakeSink('flaky', (attempt) => (attempt <= 2 ? retriableError : undefined));
    const commits: string[] = [];
    const rows: WindowResult[] = [];
    const { metrics, clock, writer: w } = writer([flaky.sink], 60_000, (written) => rows.push(...written));
    await w.write(twoPartitions(commits));
    expect(flaky.attempts()).toBe(3);
    expect(flaky.recovered).toEqual([retriableError, retriableError]);
    expect(clock.slept).toEqual([250, 500]);
    expect(metrics.counters).toMatchObject({ retries: 2, written: 3, commits: 1 });
    expect(commits).toEqual(['0@12', '1@4']);
    expect(rows.map((r) => r.neighborhood)).toEqual(['N0', 'N2', 'N1']);
  });

  it('stops with an InfrastructureError naming the sink on a failure that is not retriable, committing nothing', async () => {
    const broken = fakeSink('broken', () => new Error('permission denied'));
    const healthy = fakeSink('healthy');
    const commits: string[] = [];
    const { metrics, writer: w } = writer([healthy.sink, broken.sink]);
    const error = await w.write(twoPartitions(commits)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toMatch(/^relay stopped: writing to the broken sink failed for 0 s \(relay\.retryBudgetSeconds 60\): permission denied; offsets of unwritten results stay uncommitted/);
    expect(broken.attempts()).toBe(1);
    expect(commits).toEqual([]);
    expect(metrics.counters).toMatchObject({ written: 0, commits: 0 });
  });

  it('gives up on a retriable failure once the retry budget is spent, naming the sink and how long it tried', async () => {
    const down = fakeSink('down', () => retriableError);
    const commits: string[] = [];
    const { writer: w } = writer([down.sink], 5_000);
    await expect(w.write(twoPartitions(commits))).rejects.toThrow(/writing to the down sink failed for 4 s \(relay\.retryBudgetSeconds 5\): overloaded/);
    expect(commits).toEqual([]);
  });
});

describe("opening the relay's sinks", () => {
  it('closes the sinks already open when a later one cannot be opened', async () => {
    const closed: string[] = [];
    const opened = fakeSink('first').sink;
    const sinks = [
      { name: 'first', target: 'first', describe: String, open: async () => ({ ...opened, close: async () => void closed.push('first') }) },
      { name: 'second', target: 'second', describe: String, open: async () => Promise.reject(new Error('refused')) },
    ];
    await expect(openSinks(sinks, { budgetMs: 0, metrics: new RelayMetrics() })).rejects.toThrow('refused');
    expect(closed).toEqual(['first']);
  });
});
