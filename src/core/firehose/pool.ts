/**
 * Where per-frame jobs (job.ts) run: inline on the calling thread, or on a pool of worker threads.
 *
 * The pool packs frames into batches, one ArrayBuffer per batch (transferred, not copied, to the
 * worker and back, then reused: no per-frame buffer), and sends a batch when it is full or on
 * `flush()`. Frames of one account go to the same worker (a stable hash of the DID), so each
 * worker parses an account's key once; a worker that falls far behind the least busy one gets
 * no new accounts' frames until it catches up. Results come back through `onResult(token)` in
 * whatever order workers finish; the pipeline puts them back in stream order.
 *
 * The inline executor runs the same jobs on the calling thread in slices of a few milliseconds,
 * yielding to the event loop between slices so sockets and output keep moving.
 */
import { Worker } from 'node:worker_threads';
import { runtime } from '../errors.js';
import { KeyParseCache, processFrameBytes, type FrameResult, type JobOptions } from './job.js';
import { WORKER_MARK, type WorkerBatch, type WorkerInit, type WorkerReply } from './worker.js';

export interface FrameJob {
  /** The caller's handle for the result. */
  token: number;
  bytes: Uint8Array;
  keys: readonly string[] | null;
  receivedAt: number;
  /** The account (worker affinity); null for frames that name none. */
  did: string | null;
}

export interface Executor {
  submit(job: FrameJob): void;
  /** Start whatever is batched now. */
  flush(): void;
  /** Jobs submitted and not yet answered. */
  readonly pending: number;
  close(): Promise<void>;
}

export type ResultHandler = (token: number, result: FrameResult) => void;

/** Runs jobs on this thread, a slice at a time. */
export class InlineExecutor implements Executor {
  private readonly queue: FrameJob[] = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private readonly keyCache = new KeyParseCache(50_000);

  constructor(
    private readonly options: JobOptions,
    private readonly onResult: ResultHandler,
    private readonly sliceMs = 8,
  ) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  submit(job: FrameJob): void {
    this.queue.push(job);
    this.schedule();
  }

  flush(): void {
    this.schedule();
  }

  /** Run one job now, on this thread (single-frame processing). */
  runNow(job: Omit<FrameJob, 'token' | 'did' | 'bytes'> & { bytes: Uint8Array | string }): FrameResult {
    return processFrameBytes(job.bytes, { keys: job.keys, receivedAt: job.receivedAt }, this.options, this.keyCache);
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.pending === 0) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const until = performance.now() + this.sliceMs;
    while (this.head < this.queue.length && !this.closed) {
      const job = this.queue[this.head] as FrameJob;
      this.queue[this.head++] = undefined as unknown as FrameJob;
      this.onResult(job.token, this.runNow(job));
      if (performance.now() >= until) break;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface WorkerPoolOptions {
  size: number;
  /** The built worker entry (worker.ts). */
  workerUrl: URL;
  options: JobOptions;
  /** Where the workers resolve `tiny-secp256k1` from; null keeps node:crypto. */
  fastK256From: string | null;
  onResult: ResultHandler;
  /** A worker died or failed: the pool cannot go on. */
  onError: (err: Error) => void;
  /** Frames per batch (default 64) and bytes per pooled batch buffer (default 256 KiB). */
  batchFrames?: number;
  batchBytes?: number;
}

interface Filling {
  buf: ArrayBuffer;
  used: number;
  offsets: number[];
  lengths: number[];
  receivedAt: number[];
  keys: Array<readonly string[] | null>;
  tokens: number[];
}

interface Lane {
  worker: Worker;
  filling: Filling | null;
  inflight: Map<number, number[]>;
  /** Frames submitted to this worker and not answered yet. */
  outstanding: number;
}

/** Slack (in frames) a worker may have over the least busy one before new accounts avoid it. */
const IMBALANCE_FRAMES = 64;

function hashDid(did: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < did.length; i++) {
    h ^= did.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class WorkerPool implements Executor {
  private readonly lanes: Lane[] = [];
  private readonly free: ArrayBuffer[] = [];
  private readonly batchFrames: number;
  private readonly batchBytes: number;
  private nextBatch = 1;
  private failed = false;
  private closing = false;
  private readonly affinity = new Map<string, number>();
  private pendingCount = 0;

  private constructor(private readonly opts: WorkerPoolOptions) {
    this.batchFrames = opts.batchFrames ?? 64;
    this.batchBytes = opts.batchBytes ?? 256 * 1024;
  }

  /** Starts `size` workers and resolves once every one is ready. */
  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    const init: WorkerInit = { mark: WORKER_MARK, options: opts.options, fastK256From: opts.fastK256From };
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < opts.size; i++) {
      // A small young generation keeps each worker's memory low; its objects die young anyway.
      const worker = new Worker(opts.workerUrl, { workerData: init, stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      const lane: Lane = { worker, filling: null, inflight: new Map(), outstanding: 0 };
      pool.lanes.push(lane);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onFirst = (m: unknown): void => {
            if ((m as { ready?: boolean }).ready !== true) return;
            worker.off('message', onFirst);
            worker.on('message', (reply: WorkerReply) => pool.onReply(lane, reply));
            resolve();
          };
          worker.on('message', onFirst);
          worker.once('error', reject);
        }),
      );
      worker.on('error', (err) => pool.fail(err));
      worker.on('exit', (code) => {
        if (!pool.closing) pool.fail(new Error(`a firehose worker exited (code ${code})`));
      });
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw runtime('FirehoseWorkerFailed', `cannot start the firehose worker threads: ${err instanceof Error ? err.message : String(err)}`);
    }
    return pool;
  }

  get size(): number {
    return this.lanes.length;
  }

  get pending(): number {
    return this.pendingCount;
  }

  private fail(err: Error): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.opts.onError(runtime('FirehoseWorkerFailed', `a firehose worker thread failed: ${err.message}`));
  }

  private pickLane(did: string | null): Lane {
    const lanes = this.lanes;
    if (lanes.length === 1) return lanes[0] as Lane;
    let least = lanes[0] as Lane;
    for (const l of lanes) if (l.outstanding < least.outstanding) least = l;
    if (did === null) return least;
    const known = this.affinity.get(did);
    if (known !== undefined) return lanes[known] as Lane;
    let lane = lanes[hashDid(did) % lanes.length] as Lane;
    if (lane.outstanding > least.outstanding + IMBALANCE_FRAMES) lane = least;
    if (this.affinity.size >= 500_000) this.affinity.clear();
    this.affinity.set(did, lanes.indexOf(lane));
    return lane;
  }

  private newFilling(size: number): Filling {
    // Uninitialised memory: every byte sent is written first.
    const buf = size <= this.batchBytes ? (this.free.pop() ?? Buffer.allocUnsafeSlow(this.batchBytes).buffer) : Buffer.allocUnsafeSlow(size).buffer;
    return { buf, used: 0, offsets: [], lengths: [], receivedAt: [], keys: [], tokens: [] };
  }

  submit(job: FrameJob): void {
    if (this.failed || this.closing) return;
    const lane = this.pickLane(job.did);
    const len = job.bytes.length;
    let f = lane.filling;
    if (f !== null && f.used + len > f.buf.byteLength) {
      this.send(lane);
      f = null;
    }
    if (f === null) {
      f = this.newFilling(len);
      lane.filling = f;
    }
    new Uint8Array(f.buf, f.used, len).set(job.bytes);
    f.offsets.push(f.used);
    f.lengths.push(len);
    f.receivedAt.push(job.receivedAt);
    f.keys.push(job.keys);
    f.tokens.push(job.token);
    f.used += len;
    lane.outstanding++;
    this.pendingCount++;
    if (f.tokens.length >= this.batchFrames) this.send(lane);
  }

  flush(): void {
    for (const lane of this.lanes) if (lane.filling !== null) this.send(lane);
  }

  private send(lane: Lane): void {
    const f = lane.filling;
    lane.filling = null;
    if (f === null || f.tokens.length === 0) return;
    const id = this.nextBatch++;
    lane.inflight.set(id, f.tokens);
    const batch: WorkerBatch = { id, buf: f.buf, count: f.tokens.length, offsets: f.offsets, lengths: f.lengths, receivedAt: f.receivedAt, keys: f.keys };
    lane.worker.postMessage(batch, [f.buf]);
  }

  private onReply(lane: Lane, reply: WorkerReply): void {
    const tokens = lane.inflight.get(reply.id);
    if (tokens === undefined) return;
    lane.inflight.delete(reply.id);
    if (reply.buf.byteLength === this.batchBytes && this.free.length < 16) this.free.push(reply.buf);
    lane.outstanding -= tokens.length;
    this.pendingCount -= tokens.length;
    for (let i = 0; i < tokens.length; i++) this.opts.onResult(tokens[i] as number, reply.results[i] as FrameResult);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.lanes.map((l) => l.worker.terminate().catch(() => 0)));
  }
}
