// Live mode (`tipstream start --live`): the pipeline unbounded, until stopped. Real trips of the
// DEBS sample, copied over and over with their times moved to a clock that starts now and runs
// `speedup` times faster than the wall clock, go into the hubs at that pace; heartbeats on the
// same clock keep windows closing through quiet spells; the relay writes each closed window into
// Cassandra as it comes. Stopping takes a savepoint and remembers where the clock was, so the next
// run resumes the same job state: no window lost, none doubled.
import { flinkRestOptions, kafkaTopicOptions } from '../../common/client-options.js';
import type { ResolvedConfig } from '../../common/config.js';
import { childLogger } from '../../common/logger.js';
import { within } from '../../common/retry.js';
import { ensureTopics, FlinkRestClient, type WindowResult } from '../../clients/index.js';
import type { GeneratorSummary } from '../../generator/index.js';
import { runRelay } from '../../orchestrator/index.js';
import { LiveClock, liveHeartbeat } from './clock.js';
import { generateLive, liveFrontier, liveTransport } from './generator.js';
import { flinkBoundary, liveDeploy, LiveJob } from './job.js';
import { LiveRelay } from './relay.js';
import { unrestorable } from './savepoint.js';
import { liveStateFile, LiveStateRecord, readLiveState } from './state.js';
import { stopLive, stopStepLog, type LiveSummary } from './stop.js';
import { stateToResumeFrom } from './takeover.js';
import { LiveViewer, WrittenWindows, type LiveView } from './view.js';

export { liveStateFile, readLiveState, type LiveState } from './state.js';
export type { LiveView } from './view.js';
export type { LiveSummary } from './stop.js';

const log = childLogger('live');

export interface LiveOptions {
  /** Event time runs this many times faster than the wall clock. */
  speedup: number;
  malformedRate: number;
  /** Aborting stops the run: generator, then the job with a savepoint, then the relay. */
  signal: AbortSignal;
  /** Called about once a second with what a person watching wants to see. */
  onView?: (view: LiveView) => void;
  /** Consumer groups and the state file are named after this (default `tipstream-live`). */
  name?: string;
  /** Called with the rows the relay has just written to Cassandra (bench:pipeline times them). */
  onRows?: (rows: WindowResult[]) => void;
  /** Called once the live clock runs: event time `clock()` is now (bench:pipeline maps window ends to wall time with it). */
  onClock?: (clock: () => number) => void;
  /** The view ranks neighborhoods over this many latest windows (default `dashboard.liveSpan`)... */
  rankSpan?: number;
  /** ...those with at least this many rides in them (default `dashboard.minRides`, npm start's 10). */
  minRides?: number;
}

export async function runLive(config: ResolvedConfig, options: LiveOptions): Promise<LiveSummary> {
  const name = options.name ?? 'tipstream-live';
  const k = config.kafka;
  await ensureTopics(kafkaTopicOptions(config), [k.rideTopic, k.fareTopic, k.deadLetterTopic, k.statsTopic]);
  const previous = await readLiveState(config, name);
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const resumeFrom = previous ? await stateToResumeFrom(flink, previous) : undefined;
  const clock = new LiveClock(options.speedup, previous?.clock);
  // Heartbeats keep every partition moving, so no partition needs to be declared idle here; a
  // short idle timeout only invites the race where a source slow to start (a job just restored,
  // a busy machine) is skipped and the other stream's watermark runs ahead of its trips.
  const jobConfig = { ...config, job: { ...config.job, consumerGroup: name, idleTimeout: '5 min' } };
  const deploy = liveDeploy(name, clock);
  const deployment = await deploy(jobConfig, resumeFrom).catch(unrestorable(resumeFrom, liveStateFile(config, name)));
  const job = new LiveJob(deployment, name, jobConfig, flinkBoundary(flink, deploy, jobConfig), options.signal);
  log.info({ jobId: deployment.jobId, resumedFrom: previous?.savepoint, clock: new Date(clock.start).toISOString() }, 'live job running');

  const written = new WrittenWindows(options.rankSpan ?? config.dashboard.liveSpan, options.onRows);
  const relay = new LiveRelay((session) => runRelay(config, { consumerGroup: `${name}-relay`, onRows: written.add, ...session }));
  const transport = liveTransport(config);
  const frontier = liveFrontier(clock);
  const heartbeat = liveHeartbeat(k, clock, frontier);
  const viewer = new LiveViewer({ clock: clock.now, job, written, resumedFrom: resumeFrom, minRides: options.minRides ?? config.dashboard.minRides }, options.onView);
  const record = new LiveStateRecord(liveStateFile(config, name));
  viewer.start((now) => record.running({ ...(previous?.savepoint ? { savepoint: previous.savepoint } : {}), clock: clock.now(), jobId: job.jobId, running: true, wallAt: now, speedup: options.speedup, eventsSent: viewer.eventsSent }));
  job.watch();
  const stopStep = stopStepLog(options.signal);

  let generator: GeneratorSummary;
  try {
    clock.run();
    options.onClock?.(clock.now);
    heartbeat.start();
    generator = await generateLive(config, clock, { malformedRate: options.malformedRate, signal: options.signal, frontier, onSent: (sent) => (viewer.eventsSent = sent) }, transport);
  } catch (err) {
    // The generator failed for good: nothing of this run may keep the process alive.
    viewer.stop();
    await heartbeat.stop().catch(() => undefined);
    await relay.stop();
    throw err;
  } finally {
    // A broker restarting may never answer the close: 15 s, then on (every send was acknowledged or counted).
    await within(transport.close(), 15_000, undefined).catch(() => undefined);
    job.stopWatching();
  }
  return stopLive({ clock: clock.now, heartbeat, job, flink, record, written, relay, viewer, stopStep }, generator);
}
