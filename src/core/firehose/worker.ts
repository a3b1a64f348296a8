/**
 * Entry point of a firehose worker thread (started by pool.ts): receives batches of frames packed
 * in one ArrayBuffer, runs `processFrameBytes` on each (decode, parse, stateless verification),
 * and sends the results back together with the buffer, which the pool then reuses.
 *
 * Built as its own file (the CLI bundle's `firehose-worker.js`); it starts only inside a worker
 * whose `workerData` says it is a firehose worker, so importing it elsewhere does nothing.
 */
import { parentPort, workerData, isMainThread, type MessagePort } from 'node:worker_threads';
import { enableFastK256 } from '../crypto/fast-k256.js';
import { KeyParseCache, processFrameBytes, type FrameResult, type JobOptions } from './job.js';

export const WORKER_MARK = 'atcli-firehose-worker/1';

export interface WorkerInit {
  mark: typeof WORKER_MARK;
  options: JobOptions;
  /** Where to resolve `tiny-secp256k1` from (a file URL); null to stay on node:crypto. */
  fastK256From: string | null;
}

/** One batch: frame i is `buf[offsets[i], offsets[i] + lengths[i])`. */
export interface WorkerBatch {
  id: number;
  buf: ArrayBuffer;
  count: number;
  offsets: number[];
  lengths: number[];
  receivedAt: number[];
  keys: Array<readonly string[] | null>;
}

export interface WorkerReply {
  id: number;
  buf: ArrayBuffer;
  results: FrameResult[];
}

export function runFirehoseWorker(port: MessagePort, init: WorkerInit): void {
  if (init.fastK256From !== null) enableFastK256(init.fastK256From);
  const keyCache = new KeyParseCache();
  port.on('message', (batch: WorkerBatch) => {
    const results: FrameResult[] = new Array(batch.count);
    for (let i = 0; i < batch.count; i++) {
      const bytes = new Uint8Array(batch.buf, batch.offsets[i], batch.lengths[i]);
      try {
        results[i] = processFrameBytes(bytes, { keys: batch.keys[i] ?? null, receivedAt: batch.receivedAt[i] as number }, init.options, keyCache);
      } catch (err) {
        results[i] = { kind: 'invalid', seq: null, reason: `internal error while processing the frame: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    const reply: WorkerReply = { id: batch.id, buf: batch.buf, results };
    port.postMessage(reply, [batch.buf]);
  });
  port.postMessage({ ready: true });
}

if (!isMainThread && parentPort !== null && (workerData as WorkerInit | undefined)?.mark === WORKER_MARK) {
  runFirehoseWorker(parentPort, workerData as WorkerInit);
}
