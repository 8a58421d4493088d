// The ceiling anchor: the calibration job of ../shared/calibration (BENCH_CALIBRATION for another
// folder), the job's core alone (the json and csv formats, the same interval join and 1-hour
// window, a two-value neighborhood, a blackhole sink), on the same topics as tipstream and the
// peer. It drops nothing a synthetic input holds, so its trips are the input's; the records
// that reached its join are checked against that. Skipped, with a line that says so, where the
// folder is absent.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { projectRoot, type ResolvedConfig } from '../../common/config.js';
import { flinkRestOptions, sqlGatewayOptions } from '../../common/client-options.js';
import { FlinkRestClient, SqlGatewayClient } from '../../clients/index.js';
import { uniqueName } from '../../test/support/kafka.js';
import { describeSample, perSecond, type SideResult } from './runs.js';
import { sampleJob } from './job-sampler.js';
import type { BenchInput } from './input.js';

export const calibrationDir = process.env.BENCH_CALIBRATION ?? resolve(projectRoot, '..', 'shared', 'calibration');
const template = join(calibrationDir, 'parse-once.sql.tpl');

/** Why the calibration cannot run here, or undefined when it can. */
export function calibrationMissing(): string | undefined {
  return existsSync(template) ? undefined : `no calibration job at ${template} (../shared/calibration, or BENCH_CALIBRATION): the runs have no ceiling anchor`;
}

/** The template's statements for these topics and this Kafka. */
export function calibrationStatements(text: string, input: BenchInput, bootstrapServers: string, groupId: string): string[] {
  if (!text.includes('${RUN}')) throw new Error(`${template} no longer names its topics with \${RUN}: the bench cannot point it at its input`);
  const filled = text.replaceAll('${RUN}', input.run).replaceAll("'127.0.0.1:9092'", `'${bootstrapServers}'`).replaceAll("'properties.group.id'='calib'", `'properties.group.id'='${groupId}'`);
  return filled
    .split(/;\s*\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter(Boolean);
}

export async function runCalibration(label: string, config: ResolvedConfig, input: BenchInput): Promise<SideResult> {
  const statements = calibrationStatements(await readFile(template, 'utf8'), input, config.job.kafkaBootstrapServers, uniqueName('bench-calibration'));
  const gateway = new SqlGatewayClient(sqlGatewayOptions(config));
  const session = await gateway.openSession({ sessionName: `bench ${label}`, properties: { 'pipeline.name': `bench ${label}`, 'parallelism.default': String(config.job.parallelism) } });
  let jobId: string | undefined;
  try {
    for (const statement of statements) jobId = (await session.execute(statement)).jobId ?? jobId;
  } finally {
    await session.close().catch(() => undefined);
  }
  if (!jobId) throw new Error(`the calibration job (${template}) was accepted but the SQL Gateway returned no job id`);
  const flink = new FlinkRestClient(flinkRestOptions(config));
  const sampler = sampleJob(config.flink.restUrl, jobId, input.trips);
  const job = await flink.waitForState(jobId, ['FINISHED'], 3_600_000);
  const sample = await sampler.stop();
  const seconds = job.duration / 1000;
  const joinedIn = job.vertices.find((v) => v.name.includes('Join'))?.metrics['read-records'];
  const check = joinedIn === undefined ? 'its join\'s records in unknown' : joinedIn === 2 * input.trips ? 'every ride and fare reached its join' : `WARNING: its join read ${joinedIn.toLocaleString('en-US')} records, not ${(2 * input.trips).toLocaleString('en-US')}`;
  console.log(`  calibration ${label}: ${input.trips.toLocaleString('en-US')} trips in ${seconds.toFixed(1)} s (Flink's job duration) = ${perSecond(input.trips / seconds)} trips/s; ${check}`);
  console.log(`    ${describeSample(sample)}`);
  return { tripsPerSecond: input.trips / seconds, steadyTripsPerSecond: sample.steadyTripsPerSecond, seconds, trips: input.trips, rows: [], sample };
}
