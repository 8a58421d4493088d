// The replay's events read, formatted, fault-injected and UTF-8 encoded on a worker thread, in
// chunks, for a transport that takes bytes (librdkafka): the thread that sends then only hands
// views of the chunks to the client, and reading and formatting trips runs beside it.
//
// A chunk carries the state after its last event (input report, injection counts), so a replay
// that stops early reports exactly what it sent; `skipped` lists the rows skipped since the last
// chunk, for `onSkipped`.
import { Worker } from 'node:worker_threads';
import { TipstreamError, UserError, type ErrorCode } from '../common/errors.js';
import { FaultInjector, type FaultOptions, type InjectionCounts } from './faults.js';
import { events, newInputReport, type InputReport, type SkippedRow, type SourceOptions } from './sources.js';

export interface EncodedChunk {
  count: number;
  /** 0 for a ride, 1 for a fare. */
  streams: Uint8Array;
  /** Each event's time (epoch ms, as the source gives it). */
  times: Float64Array;
  /** Where each event's key ends and where its value ends, in `bytes` (the key starts at the previous value's end). */
  ends: Uint32Array;
  bytes: Uint8Array;
  rides: number;
  /** The input report and injection counts after this chunk's last event. */
  report: Omit<InputReport, 'skipped'>;
  injected: InjectionCounts;
  /** Rows skipped since the previous chunk. */
  skipped: SkippedRow[];
}

export type ChunkSourceOptions = Omit<SourceOptions, 'onSkipped'>;

/** The worker's side: reads the source and posts chunks of `chunkSize` events (`post` waits while enough are unconsumed). */
export async function produceChunks(
  source: ChunkSourceOptions,
  faults: FaultOptions,
  chunkSize: number,
  post: (chunk: EncodedChunk) => Promise<void>,
): Promise<void> {
  const report = newInputReport();
  const injector = new FaultInjector(faults);
  let listed = 0;
  let streams = new Uint8Array(chunkSize);
  let times = new Float64Array(chunkSize);
  let ends = new Uint32Array(chunkSize * 2);
  let capacity = chunkSize * 512;
  let bytes = Buffer.allocUnsafeSlow(capacity);
  let count = 0;
  let at = 0;
  let rides = 0;
  const emit = async () => {
    const { skipped, ...rest } = report;
    const chunk: EncodedChunk = {
      count,
      streams: streams.subarray(0, count),
      times: times.subarray(0, count),
      ends: ends.subarray(0, 2 * count),
      bytes: bytes.subarray(0, at),
      rides,
      report: { ...rest, files: [...rest.files] },
      injected: structuredClone(injector.counts),
      skipped: skipped.slice(listed),
    };
    listed = skipped.length;
    await post(chunk);
    // The chunk's buffers were transferred: the next one gets new ones.
    streams = new Uint8Array(chunkSize);
    times = new Float64Array(chunkSize);
    ends = new Uint32Array(chunkSize * 2);
    bytes = Buffer.allocUnsafeSlow(capacity);
    count = 0;
    at = 0;
    rides = 0;
  };
  for await (const event of events(source, report)) {
    for (const out of injector.apply(event)) {
      const room = (out.key.length + out.value.length) * 3;
      if (at + room > bytes.length) {
        capacity = Math.max(capacity * 2, at + room);
        const larger = Buffer.allocUnsafeSlow(capacity);
        larger.set(bytes.subarray(0, at));
        bytes = larger;
      }
      at += bytes.write(out.key, at);
      ends[2 * count] = at;
      at += bytes.write(out.value, at);
      ends[2 * count + 1] = at;
      streams[count] = out.stream === 'ride' ? 0 : 1;
      times[count] = out.time;
      if (out.stream === 'ride') rides += 1;
      count += 1;
      if (count === chunkSize) await emit();
    }
  }
  // The last chunk, possibly empty, carries the final report (a reorder buffer's outOfOrder).
  await emit();
}

/** An error as it crosses from the worker: its message, and its code and kind when it is tipstream's. */
export interface ReportedError {
  message: string;
  code?: string;
  user?: boolean;
}

export function reportError(error: unknown): ReportedError {
  if (error instanceof TipstreamError) return { message: error.message, code: error.code, user: error instanceof UserError };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** The worker's error rebuilt with its code, so the CLI reports it as it would have. */
function rebuild({ message, code, user }: ReportedError): Error {
  if (!code) return new Error(message);
  return user ? new UserError(code as ErrorCode, message) : new TipstreamError(code as ErrorCode, message);
}

type WorkerAnswer = { chunk: EncodedChunk } | { done: true } | { error: ReportedError };

/**
 * The main thread's side: chunks from a worker, keeping at most `ahead` of them unconsumed.
 * Leaving the loop early stops the worker.
 */
export async function* encodedChunks(source: SourceOptions, faults: FaultOptions, chunkSize: number, ahead = 4): AsyncGenerator<EncodedChunk> {
  const { onSkipped, ...cloneable } = source;
  const worker = new Worker(new URL('./encoded-source-worker.js', import.meta.url), {
    workerData: { source: cloneable, faults, chunkSize, ahead },
  });
  const answers: WorkerAnswer[] = [];
  let wake: (() => void) | undefined;
  const push = (answer: WorkerAnswer) => {
    answers.push(answer);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (error) => push({ error: { message: error.message } }));
  worker.on('exit', (code) => push(code === 0 ? { done: true } : { error: { message: `the trip reader thread exited (code ${code})` } }));
  try {
    for (;;) {
      while (answers.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const answer = answers.shift()!;
      if ('done' in answer) return;
      if ('error' in answer) throw rebuild(answer.error);
      worker.postMessage('next');
      if (onSkipped) for (const row of answer.chunk.skipped) onSkipped(row);
      yield answer.chunk;
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
