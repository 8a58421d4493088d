// The generator's Kafka producers, on a worker thread of their own: encoding records is most of
// a replay's CPU time, so it runs beside the thread that reads and formats trips instead of after
// it. Plain JavaScript, so a worker can load it under tsx, jest or plain Node alike.
//
// An idempotent producer has one request in flight per connection and waits for its
// acknowledgement, so the partitions are shared among a few producers ("lanes"), each with its
// own connection: while one lane waits for the broker, another encodes. A partition always goes
// through the same lane, and a lane sends its parts of the batches in arrival order, so each
// partition receives its events in the order they were given.
//
// In: { type: 'send', id, topics, streams, ends, bytes } (see kafka-producer-thread.ts) | { type: 'close', id }
// Out: { id } once every part of that batch was acknowledged, or { id, error }.
import { parentPort, workerData } from 'node:worker_threads';
import { Producer } from '@platformatic/kafka';
import { javaCompatiblePartitioner } from './java-partitioner.js';

const { connection, options, lanes: laneCount } = workerData;
const lanes = Array.from({ length: laneCount }, (_, i) => ({
  producer: new Producer({
    ...options,
    clientId: `${options.clientId}-${i}`,
    ...connection,
    tls: connection.tls ? { ...connection.tls, ca: connection.tls.ca?.map((pem) => Buffer.from(pem)) } : undefined,
  }),
  tail: Promise.resolve(),
  failure: undefined,
}));

/** Partition counts by topic, asked once per topic. */
const partitionCounts = new Map();
async function partitionCountsOf(topics) {
  const missing = topics.filter((topic) => !partitionCounts.has(topic));
  if (missing.length > 0) {
    const metadata = await lanes[0].producer.metadata({ topics: missing });
    for (const topic of missing) partitionCounts.set(topic, metadata.topics.get(topic).partitionsCount);
  }
  return topics.map((topic) => partitionCounts.get(topic));
}

/** A batch arrives as UTF-8 bytes with where each key and value ends; messages take views of them. */
function messagesByLane(batch, counts) {
  const byLane = lanes.map(() => []);
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  let at = 0;
  for (let i = 0; i < batch.streams.length; i++) {
    const key = bytes.subarray(at, batch.ends[2 * i]);
    const value = bytes.subarray(batch.ends[2 * i], batch.ends[2 * i + 1]);
    at = batch.ends[2 * i + 1];
    const stream = batch.streams[i];
    const partition = javaCompatiblePartitioner(undefined, key) % counts[stream];
    byLane[partition % lanes.length].push({ topic: batch.topics[stream], partition, key, value });
  }
  return byLane;
}

/** Queues a lane's part of a batch behind its earlier parts; after a failure the lane refuses. */
function enqueue(lane, messages) {
  lane.tail = lane.tail.then(async () => {
    if (lane.failure) throw lane.failure;
    try {
      await lane.producer.send({ messages });
    } catch (error) {
      lane.failure = error;
      throw error;
    }
  });
  // The caller sees the failure; the chain itself stays usable for the next refusal.
  const result = lane.tail;
  lane.tail = lane.tail.catch(() => undefined);
  return result;
}

/** What survives postMessage of an error: its message and code, and those of its causes. */
function describe(error, depth = 0) {
  if (typeof error !== 'object' || error === null || depth > 8) return { message: String(error) };
  const inner = [error.cause, ...(Array.isArray(error.errors) ? error.errors : [])].filter((e) => e !== undefined);
  return { message: error.message, code: error.code, causes: inner.map((e) => describe(e, depth + 1)) };
}

// Requests are split and queued one after another, in arrival order, so the lanes' queues keep
// that order while several batches are in flight.
let queueing = Promise.resolve();
parentPort.on('message', async (request) => {
  if (request.type === 'close') {
    await queueing.catch(() => undefined);
    await Promise.all(lanes.map((lane) => lane.tail));
    await Promise.all(lanes.map((lane) => lane.producer.close().catch(() => undefined)));
    parentPort.postMessage({ id: request.id });
    parentPort.close();
    return;
  }
  const queued = queueing.catch(() => undefined).then(async () => {
    const byLane = messagesByLane(request, await partitionCountsOf(request.topics));
    return lanes.map((lane, i) => (byLane[i].length > 0 ? enqueue(lane, byLane[i]) : lane.tail));
  });
  queueing = queued;
  try {
    await Promise.all(await queued);
    parentPort.postMessage({ id: request.id });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: describe(error) });
  }
});
