import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { loadConfig } from './common/config.js';
import { createProgress } from './common/progress.js';
import { defaultInputs, KafkaTransport, replay } from './generator/index.js';
import { collectJobMetrics, deployJob, ensureTopics, FlinkRestClient } from './orchestrator/index.js';
import { readMessages, uniqueName } from './test/support/kafka.js';
const mode = process.env.MODE ?? '500';
let requests = 0;
const server = createServer((req, res) => { requests++; res.writeHead(Number(mode), { 'content-type': 'application/json' }); res.end('{"error":"boom"}'); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as { port: number }).port;
const base = loadConfig();
const topics = { rideTopic: uniqueName('lx-r'), fareTopic: uniqueName('lx-f'), deadLetterTopic: uniqueName('lx-d'), statsTopic: uniqueName('lx-s') };
await ensureTopics(base, Object.values(topics));
const t = new KafkaTransport({ bootstrapServers: base.kafka.bootstrapServers, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic });
await replay({ source: { format: 'debs', input: defaultInputs.debs, faresLeadMs: 0, bufferCapacity: 10000, maxTrips: 500 }, faults: { malformedRate: 0, lateRate: 0, duplicateRate: 0, seed: 1 }, pacing: { kind: 'fast' }, batchSize: 500, rideTopic: topics.rideTopic, fareTopic: topics.fareTopic }, t, createProgress(false));
await t.close();
const config = loadConfig({ overrides: { stateDir: mkdtempSync(join(tmpdir(), 'lx-')), job: { udfLookupUrl: `http://127.0.0.1:${port}/lookup`, consumerGroup: uniqueName('lx') } } });
const d = await deployJob(config, { bounded: true, topics, jobName: 'lookup-exp' }, createProgress(false));
const flink = new FlinkRestClient(config.flink.restUrl);
const t0 = Date.now();
let last = '';
while (Date.now() - t0 < 40_000) {
  const job = (await axios.get(`${config.flink.restUrl}/jobs/${d.jobId}`)).data as { state: string };
  if (job.state !== last) { console.log(((Date.now() - t0) / 1000).toFixed(1), 'state', job.state, 'requests', requests); last = job.state; }
  if (['FINISHED', 'FAILED', 'CANCELED'].includes(job.state)) break;
  await new Promise((r) => setTimeout(r, 500));
}
const ex = (await axios.get(`${config.flink.restUrl}/jobs/${d.jobId}/exceptions`)).data as any;
console.log('root:', String(ex.exceptionHistory.entries[0].stacktrace).split('\n').filter((l: string) => /Caused by|^[a-z]/.test(l)).join('\n')); console.log('keys', Object.keys(ex), Object.keys(ex.exceptionHistory.entries[0]));
console.log('requests', requests);
if (last === 'FINISHED') {
  console.log('metrics', JSON.stringify(await collectJobMetrics(flink, d.jobId)));
  const rows = await readMessages(base.kafka.bootstrapServers, topics.statsTopic, 1, 20000, 3000);
  console.log('stats rows', rows.length, rows.slice(0, 3).map((r) => r.value));
} else { await flink.cancel(d.jobId).catch(() => undefined); }
server.close();
