// The replay loop: ordered events, fault injection, pacing (as fast as possible, a fixed rate, or
// a speed-up of event time), batching into the transport, progress, and an exact summary.
import { setTimeout as delay } from 'node:timers/promises';
import type { Progress } from '../common/progress.js';
import { encodedChunks } from './encoded-source.js';
import { emptyCounts, FaultInjector, type FaultOptions, type InjectionCounts } from './faults.js';
import type { OutgoingEvent } from './records.js';
import { events, newInputReport, type InputReport, type SourceOptions } from './sources.js';
import type { Transport } from './transports.js';

export type Pacing = { kind: 'fast' } | { kind: 'rate'; eventsPerSecond: number } | { kind: 'speedup'; factor: number };

export interface ReplayOptions {
  source: SourceOptions;
  faults: FaultOptions;
  pacing: Pacing;
  batchSize: number;
  /** Topic (or hub) names, for the summary. */
  rideTopic: string;
  fareTopic: string;
  /** Aborting stops reading; what is in flight is still sent and the summary says `interrupted`. */
  signal?: AbortSignal;
  /** Kept up to date with how far in event time everything is acknowledged (heartbeats read it: live mode's, generate --heartbeats). */
  frontier?: SendFrontier;
}

/**
 * How far in event time a replay has everything acknowledged: no event it has yet to send, nor
 * any it sent and the transport has not acknowledged, is older than `safeTime()`. Heartbeats
 * (live mode, replay-heartbeats.ts) stay at or behind it, so that a backlog (a broker that was away, a generator
 * running late) is never made late by a watermark a heartbeat moved past it. It counts on the
 * source's order by event time, as the watermark delay does.
 */
export class SendFrontier {
  /** The latest event time read from the source: the events still to come are not older. */
  private latestRead: number;
  /** The oldest event time of the batch being built. */
  private building: number | undefined;
  /** The oldest event time of each batch handed to the transport, oldest batch first. */
  private readonly handed: Array<{ oldest: number; acknowledged: boolean }> = [];

  /** `start`: the safe time before the first event is read (none, -Infinity, by default). */
  constructor(start = Number.NEGATIVE_INFINITY) {
    this.latestRead = start;
  }

  read(time: number): void {
    if (time > this.latestRead) this.latestRead = time;
  }

  batched(time: number): void {
    if (this.building === undefined || time < this.building) this.building = time;
  }

  /** The batch being built goes to the transport; the function returned marks it acknowledged. */
  hand(): () => void {
    const entry = { oldest: this.building ?? this.latestRead, acknowledged: false };
    this.building = undefined;
    this.handed.push(entry);
    return () => {
      entry.acknowledged = true;
      while (this.handed[0]?.acknowledged) this.handed.shift();
    };
  }

  safeTime(): number {
    let safe = this.latestRead;
    if (this.building !== undefined && this.building < safe) safe = this.building;
    for (const entry of this.handed) if (!entry.acknowledged && entry.oldest < safe) safe = entry.oldest;
    return safe;
  }
}

export interface GeneratorSummary {
  format: string;
  transport: string;
  rideTopic: string;
  fareTopic: string;
  input: InputReport;
  sent: { rides: number; fares: number; total: number };
  injected: InjectionCounts;
  durationSeconds: number;
  eventsPerSecond: number;
  interrupted: boolean;
}

export async function replay(options: ReplayOptions, transport: Transport, progress: Progress): Promise<GeneratorSummary> {
  // The encoded path reads on a worker thread and keeps no frontier.
  if (transport.sendEncoded && options.pacing.kind !== 'speedup' && !options.frontier) return replayEncoded(options, transport, progress);
  const report = newInputReport();
  const injector = new FaultInjector(options.faults);
  const sent = { rides: 0, fares: 0, total: 0 };
  const started = Date.now();
  const bar = sendingBar(options, progress);
  let batch: OutgoingEvent[] = [];
  // Sends not yet acknowledged, oldest first. A transport that keeps per-partition order across
  // overlapping batches allows several; otherwise one, while the next batch is built.
  const inFlight: Promise<void>[] = [];
  const maxInFlight = Math.max(1, transport.maxInFlight ?? 1);
  let firstEventTime: number | undefined;
  let interrupted = false;

  const flush = async () => {
    if (batch.length === 0) return;
    const outgoing = batch;
    batch = [];
    const acknowledged = options.frontier?.hand();
    while (inFlight.length >= maxInFlight) await inFlight.shift();
    const sending = transport.send(outgoing).then(() => {
      acknowledged?.();
      for (const e of outgoing) {
        if (e.stream === 'ride') sent.rides += 1;
        else sent.fares += 1;
      }
      sent.total += outgoing.length;
      bar.update(sent.total, { detail: progressDetail(sent.total, started, injector.counts) });
    });
    // Awaited later, in order; until then a failure must not count as an unhandled rejection.
    sending.catch(() => undefined);
    inFlight.push(sending);
  };

  const batchSize = batchSizeFor(options);
  let queued = 0;
  for await (const event of events(options.source, report)) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    options.frontier?.read(event.time);
    if (options.pacing.kind === 'speedup') {
      firstEventTime ??= event.time;
      const due = started + (event.time - firstEventTime) / options.pacing.factor;
      if (due > Date.now()) {
        await flush();
        await delay(due - Date.now());
      }
    }
    for (const out of injector.apply(event)) {
      batch.push(out);
      options.frontier?.batched(out.time);
      queued += 1;
    }
    if (batch.length >= batchSize) {
      await flush();
      if (options.pacing.kind === 'rate') {
        const due = started + (queued / options.pacing.eventsPerSecond) * 1000;
        if (due > Date.now()) await delay(due - Date.now());
      }
    }
  }
  await flush();
  await Promise.all(inFlight);
  // A transport whose sends resolve once queued in its client: wait for the acknowledgements,
  // so the summary and the rate count only what the broker has.
  await transport.flush?.();
  bar.stop();
  return summarize(options, transport, report, sent, injector.counts, started, interrupted);
}

/** The progress bar, with a total when the input says how many events it will make. */
function sendingBar(options: ReplayOptions, progress: Progress) {
  return progress.bar('sending', options.source.format === 'synthetic' ? (options.source.trips ?? 0) * 2 : 0, ' events');
}

function progressDetail(sent: number, started: number, c: InjectionCounts): string {
  const injected = c.malformedRides + c.malformedFares + c.lateRides + c.lateFares + c.duplicateRides + c.duplicateFares;
  return `${Math.round(sent / Math.max((Date.now() - started) / 1000, 0.001))} events/s, ${injected} injected`;
}

/** At a fixed rate, batches of at most a twentieth of a second's events, so pacing stays smooth. */
function batchSizeFor(options: ReplayOptions): number {
  if (options.pacing.kind !== 'rate') return options.batchSize;
  return Math.max(1, Math.min(options.batchSize, Math.floor(options.pacing.eventsPerSecond / 20)));
}

/**
 * The replay for a transport that takes encoded chunks: trips are read, formatted and injected
 * on a worker thread (encoded-source.ts) while this thread sends. Pacing by rate waits between
 * chunks (of at most a twentieth of a second's events); speed-up pacing uses the other loop.
 */
async function replayEncoded(options: ReplayOptions, transport: Transport, progress: Progress): Promise<GeneratorSummary> {
  const sendEncoded = transport.sendEncoded!.bind(transport);
  const sent = { rides: 0, fares: 0, total: 0 };
  const started = Date.now();
  const bar = sendingBar(options, progress);
  const chunkSize = batchSizeFor(options);
  let report: InputReport = newInputReport();
  let injected = emptyCounts();
  const skipped: InputReport['skipped'] = [];
  let interrupted = false;
  for await (const chunk of encodedChunks(options.source, options.faults, chunkSize)) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    await sendEncoded(chunk);
    sent.rides += chunk.rides;
    sent.fares += chunk.count - chunk.rides;
    sent.total += chunk.count;
    skipped.push(...chunk.skipped);
    report = { ...chunk.report, skipped };
    injected = chunk.injected;
    bar.update(sent.total, { detail: progressDetail(sent.total, started, injected) });
    if (options.pacing.kind === 'rate') {
      const due = started + (sent.total / options.pacing.eventsPerSecond) * 1000;
      if (due > Date.now()) await delay(due - Date.now());
    }
  }
  await transport.flush?.();
  bar.stop();
  return summarize(options, transport, report, sent, injected, started, interrupted);
}

function summarize(
  options: ReplayOptions,
  transport: Transport,
  report: InputReport,
  sent: GeneratorSummary['sent'],
  injected: InjectionCounts,
  started: number,
  interrupted: boolean,
): GeneratorSummary {
  const durationSeconds = (Date.now() - started) / 1000;
  return {
    format: options.source.format,
    transport: transport.description,
    rideTopic: options.rideTopic,
    fareTopic: options.fareTopic,
    input: report,
    sent,
    injected,
    durationSeconds,
    eventsPerSecond: sent.total / Math.max(durationSeconds, 0.001),
    interrupted,
  };
}

/** The summary for a person: what was read, sent and injected. */
export function formatSummary(summary: GeneratorSummary): string {
  const i = summary.injected;
  const lines = [
    `${summary.interrupted ? 'Interrupted after sending' : 'Sent'} ${summary.sent.total} events (${summary.sent.rides} rides to ${summary.rideTopic}, ${summary.sent.fares} fares to ${summary.fareTopic}) through ${summary.transport} in ${summary.durationSeconds.toFixed(1)} s (${Math.round(summary.eventsPerSecond)} events/s).`,
    `Input: ${summary.input.trips} trips from ${summary.input.files.length} file(s), ${summary.input.rowsRead} rows read, ${summary.input.rowsSkipped} skipped${summary.input.outOfOrder ? `, ${summary.input.outOfOrder} sent out of order` : ''}.`,
  ];
  for (const row of summary.input.skipped.slice(0, 10)) lines.push(`  skipped ${row.file}:${row.line}: ${row.reason}`);
  if (summary.input.rowsSkipped > 10) lines.push(`  ... and ${summary.input.rowsSkipped - 10} more (all in --summary-json)`);
  const kinds = (counts: Record<string, number>) => Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  lines.push(`Injected: malformed rides ${i.malformedRides} (${kinds(i.malformed.ride)}), malformed fares ${i.malformedFares} (${kinds(i.malformed.fare)}), late rides ${i.lateRides}, late fares ${i.lateFares}, duplicate rides ${i.duplicateRides}, duplicate fares ${i.duplicateFares}.`);
  return `${lines.join('\n')}\n`;
}
