// A thread of `runParallel` (common.mjs): takes task indices from the shared counter until none is left and posts
// `[index, result]` pairs back.
import { parentPort, workerData } from 'node:worker_threads';

const { moduleUrl, name, shared, next, count } = workerData;
const kernel = (await import(moduleUrl))[name];
const counter = new Int32Array(next);
const done = [];
for (;;) {
  const index = Atomics.add(counter, 0, 1);
  if (index >= count) break;
  done.push([index, kernel(index, shared)]);
}
parentPort.postMessage(done);
