// Runs a KafkaTransport in a worker thread, so the Kafka client's encoding (murmur2, record
// batches, CRCs, garbage) uses the second core while the main thread reads and builds events.
import { parentPort, workerData } from 'node:worker_threads';
import { KafkaTransport, type KafkaTransportOptions } from './transports.js';

export interface WorkerBatch {
  id: number;
  streams: Uint8Array;
  keys: string[];
  values: string[];
}

const transport = new KafkaTransport(workerData as KafkaTransportOptions);

parentPort!.on('message', (message: WorkerBatch | 'close') => {
  if (message === 'close') {
    void transport.close().then(() => parentPort!.postMessage({ closed: true }));
    return;
  }
  const batch = message.keys.map((key, i) => ({ stream: message.streams[i] === 0 ? ('ride' as const) : ('fare' as const), time: 0, key, value: message.values[i]! }));
  transport.send(batch).then(
    () => parentPort!.postMessage({ id: message.id }),
    (err: unknown) => parentPort!.postMessage({ id: message.id, error: err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err) }),
  );
});
