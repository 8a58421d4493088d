// The worker thread of encoded-source.ts: reads, formats and encodes the replay's events and
// posts them in chunks, at most `ahead` of them not yet taken by the sending thread. Plain
// JavaScript that loads the TypeScript through tsx, so it starts alike under tsx, jest and node.
//
// In: 'next' (a chunk was taken). Out: { chunk } ... then { done: true }, or { error }.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { produceChunks, reportError } = await import('./encoded-source.ts');

let credits = workerData.ahead;
let waiting;
parentPort.on('message', () => {
  credits += 1;
  waiting?.();
});

try {
  await produceChunks(workerData.source, workerData.faults, workerData.chunkSize, async (chunk) => {
    while (credits === 0) await new Promise((resolve) => (waiting = resolve));
    credits -= 1;
    parentPort.postMessage({ chunk }, [chunk.streams.buffer, chunk.times.buffer, chunk.ends.buffer, chunk.bytes.buffer]);
  });
  parentPort.postMessage({ done: true });
} catch (error) {
  parentPort.postMessage({ error: reportError(error) });
}
parentPort.close();
