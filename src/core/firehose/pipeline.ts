/**
 * The firehose pipeline shared by `firehose tail` (live frames from the subscriber) and
 * `firehose replay` (frames from a recording): decode → parse → filter → verify → plain output
 * objects. Same frames in, same outputs out, in the order the frames came (seq order).
 *
 * Two ways in: `process(frame)` handles one frame at a time on this thread; `run(source)` takes
 * an async iterable of frames and yields batches of outputs, with the per-frame work (decode,
 * parse, every stateless check: job.ts) spread over worker threads and everything that needs
 * account state done here, in stream order:
 *
 * - A bounded window of frames is in flight (read, not yet handed to the consumer). When it is
 *   full, `run` stops pulling from the source, so a slow consumer slows the reads (the
 *   subscriber then pauses the socket) instead of growing memory.
 * - Verification needs the account's keys (keys.ts). A DID seen for the first time is looked up
 *   (bounded concurrency) while frames of other accounts keep being processed; only that
 *   account's frames wait. An account's frames are dispatched in order and its chain is checked
 *   in stream order, so per-account order holds.
 * - Per-account state `{rev, data}` changes only after a verified `#commit` or `#sync`
 *   (F23: the declared state is adopted). A commit that is internally valid but does not
 *   continue the chain (missed events: E20) is reported and, with `resync`, the repository is
 *   fetched and verified and the chain continues from its commit; without it, the chain
 *   restarts from that commit, so one gap does not make every later commit fail.
 * - Keys are history-aware (keys.ts): an event is checked against the key in force at its
 *   `time`; a valid signature by a key replaced since is reported with `keyRotatedSince`. An
 *   `#identity` event makes the account's next frame look its keys up again, bypassing caches; a
 *   failed signature looks them up again once (at most once per `refreshAfterFailureMs` per DID)
 *   and verifies again.
 * - Accounts that are not active (from `#account` events, or the status the resolver found at
 *   first sight) are flagged `inactive`; with `hostCheck` (tailing a PDS directly), events of
 *   accounts whose DID document named another PDS at the event's time are flagged
 *   `hostMismatch`. Flags do not make an event fail.
 * - Filters: `dids`; `events` (commit, sync, identity, account, info); `collections` — a commit
 *   is kept when any op touches a listed collection (`app.bsky.feed.*` matches a prefix), and
 *   with `ops` only the matching ops are emitted. With `collections` and no `events`, only
 *   commits are shown. Commits of a listed DID that are filtered out by collection are still
 *   verified, to keep the account's chain; their failures are not shown.
 * - Failures are structured `{seq, did, type, ok: false, reasons}`: invalid frames (text, too
 *   large, trailing bytes, bad framing), events that do not parse, and with `verify` every failed
 *   check. Without `verify` nothing is checked beyond framing, parsing and block hashes.
 * - "rev in the future" is judged against the frame's `receivedAt`, so a replay decides as the
 *   live run did.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCid, type Cid } from '../codec/cid.js';
import { enableFastK256 } from '../crypto/fast-k256.js';
import { parseDidKey, type PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { type JsonValue } from '../codec/json.js';
import { EVENT_KINDS, type EventKind, type FrameResult, type JobOptions, type OpResult } from './job.js';
import { AccountDirectory, candidateKeys, type AccountEntry, type AccountInfo, type AccountLookup, type AccountResolver, type KeyCandidates } from './keys.js';
import { peekFrame, type FramePeek } from './peek.js';
import { InlineExecutor, WorkerPool, type Executor } from './pool.js';
import type { RepoOpAction } from './events.js';
import type { InboundFrame } from './subscriber.js';
import { commitChain, syncChain, type AccountState, type ChainState } from './verify.js';

export { EVENT_KINDS, type EventKind };

export type KeyResolver = (did: string, opts: { fresh: boolean }) => Promise<PublicKey>;
export type KeyResult = { key: PublicKey } | { error: string };

export interface OpSummary {
  op: RepoOpAction;
  collection: string;
  rkey: string;
  cid: string | null;
  prev?: string;
}

/** Notes on a verified or tailed event that do not make it fail. */
export interface EventFlags {
  /** Valid, signed by a key that was in force when the event was sequenced and has been replaced since (when). */
  keyRotatedSince?: string;
  /** The account was not active (its status, or "inactive"). */
  inactive?: string;
  /** Tailing a PDS: the account's DID document named this other PDS at the event's time. */
  hostMismatch?: string;
}

export interface CommitView extends EventFlags {
  seq: number;
  type: 'commit';
  did: string;
  time: string;
  rev: string;
  since: string | null;
  commit: string;
  ops: OpSummary[];
  verified?: true;
}

export interface SyncView extends EventFlags {
  seq: number;
  type: 'sync';
  did: string;
  time: string;
  rev: string;
  verified?: true;
}

export interface IdentityView extends EventFlags {
  seq: number;
  type: 'identity';
  did: string;
  time: string;
  handle: string | null;
}

export interface AccountView extends EventFlags {
  seq: number;
  type: 'account';
  did: string;
  time: string;
  active: boolean;
  status: string | null;
}

export interface InfoView {
  type: 'info';
  name: string;
  message: string | null;
}

/** A repository fetched and verified to repair a broken chain (`resync`). */
export interface ResyncView {
  /** The event whose chain break started it. */
  seq: number;
  type: 'resync';
  did: string;
  ok: true;
  rev: string;
  commit: string;
  records: number;
  /** The host it was fetched from. */
  from: string;
}

export type EventView = CommitView | SyncView | IdentityView | AccountView | InfoView;

/** One record operation (`--ops`). */
export interface OpRow extends EventFlags {
  seq: number;
  type: 'commit';
  did: string;
  time: string;
  rev: string;
  op: RepoOpAction;
  collection: string;
  rkey: string;
  cid: string | null;
  prev?: string;
  /** The record in atproto JSON (null for deletes, or when its block is absent or unreadable). */
  record: JsonValue | null;
  verified?: true;
}

export interface Failure {
  seq: number | null;
  did: string | null;
  type: EventKind | 'resync' | null;
  ok: false;
  reasons: string[];
}

export type PipelineOutput = { kind: 'event'; value: EventView } | { kind: 'op'; value: OpRow } | { kind: 'failure'; value: Failure };

/** What `run` yields: the outputs of `process`, and the repositories fetched by `resync`. */
export type StreamOutput = PipelineOutput | { kind: 'resync'; value: ResyncView };

export interface PipelineStats {
  /** WebSocket messages processed. */
  frames: number;
  /** Sequenced events (commit, sync, identity, account), shown or not. */
  events: number;
  /** Frames that produced output. */
  shown: number;
  /** Failures reported. */
  failures: number;
  /** Unknown frame types skipped. */
  skipped: number;
  lastSeq: number | null;
  /** Events flagged: from accounts that were not active, hosted elsewhere; signed by a key replaced since. */
  inactive: number;
  hostMismatch: number;
  keyRotated: number;
  /** Repositories fetched to repair a chain. */
  resyncs: number;
}

/** Outcome of fetching and verifying an account's repository (see resync.ts). */
export type ResyncOutcome =
  | { ok: true; rev: string; commit: string; data: string; records: number; from: string }
  | { ok: false; reasons: string[]; from: string | null };

export type RepoResyncer = (did: string, info: AccountInfo | null) => Promise<ResyncOutcome>;

export type PipelineNotice =
  | { type: 'workers'; count: number }
  | { type: 'workers-unavailable'; reason: string };

/** A frame as it arrived. */
export interface FrameInput {
  data: Uint8Array | string;
  /** When it arrived (ms since the epoch). */
  receivedAt: number;
  /** Already peeked by the transport. */
  peek?: FramePeek | null;
}

/** Where `run` takes frames from. */
export interface FrameSource extends AsyncIterable<FrameInput> {
  /** Told, once the consumer asked for more, that every frame up to `seq` has been handled. */
  acknowledge?(seq: number): void | Promise<void>;
  /** Stop producing (the consumer is done); pending reads end. */
  close?(): void;
}

export interface PipelineOptions {
  verify?: boolean;
  /** Legacy events without prevData/prev fail (default true). */
  strict?: boolean;
  collections?: readonly string[];
  dids?: readonly string[];
  events?: readonly EventKind[];
  ops?: boolean;
  /** With `verify`: the accounts' keys (and PDS) with their history… */
  resolveAccount?: AccountResolver;
  /** …or one current key per DID (no history). */
  resolveKey?: KeyResolver;
  /** Told about every account look-up (recordings keep them for offline replay). */
  onAccount?: (did: string, result: AccountLookup) => void | Promise<void>;
  /** Told about every key resolution, as the current key (older recordings). */
  onKey?: (did: string, result: KeyResult) => void | Promise<void>;
  /**
   * Told about each frame once it is handled, in stream order (a recording writes it then: the
   * account look-ups it needed, told to `onAccount` earlier, come before it in the file).
   */
  onHandled?: (frame: { data: Uint8Array | string; receivedAt: number; seq: number | null }) => void;
  /** Look-ups in flight at once (default 64). */
  keyConcurrency?: number;
  /** Minimum time between failure-driven key refreshes of one DID (default 10 s). */
  refreshAfterFailureMs?: number;
  /** How long a failed look-up is remembered before it is retried (default 30 s; `#identity` clears it). */
  errorTtlMs?: number;
  /** Clock of the key cache (tests). "rev in the future" is checked against each frame's `receivedAt`. */
  clock?: () => number;
  /** Tailing a PDS directly (its URL): flag events of accounts hosted elsewhere. Needs account look-ups. */
  hostCheck?: string;
  /** Repair a broken chain by fetching and verifying the repository (resync.ts). */
  resync?: RepoResyncer;
  /** `run`: worker threads (default one per core; 1 = this thread only). */
  workers?: number;
  /** `run`: the built worker entry (default: `firehose-worker.js` beside the bundle). */
  workerUrl?: URL;
  /**
   * `run`: frames handled on this thread before worker threads may start (default 256): short
   * streams never start them, nor streams whose consumer is slower than this thread.
   */
  inlineFrames?: number;
  /**
   * `run`: frames (default 4096) and bytes (default 12 MiB) read but not yet handed to the
   * consumer: room for the workers to finish out of order while the head of the stream waits.
   */
  maxPendingFrames?: number;
  maxPendingBytes?: number;
  /** `run`: outputs per yielded batch at most (default 512). */
  maxBatch?: number;
  onNotice?: (notice: PipelineNotice) => void;
}

// ---------------------------------------------------------------------------------------------

interface Slot {
  n: number;
  data: Uint8Array | string;
  receivedAt: number;
  peek: FramePeek | null;
  size: number;
  /** The DID's directory generation when the frame arrived (an #identity after it bumps it). */
  generation: number;
  needsAccount: boolean;
  needsKeys: boolean;
  entry: AccountEntry | null;
  candidates: KeyCandidates | null;
  result: FrameResult | null;
  refreshed: boolean;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** `app.bsky.feed.post`, `app.bsky.feed.*` (prefix) or `*`; null when no pattern is given (everything matches). */
export function collectionMatcher(patterns: readonly string[] | undefined): ((collection: string) => boolean) | null {
  if (patterns === undefined || patterns.length === 0) return null;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p === '*') return () => true;
    if (p.endsWith('.*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (c) => exact.has(c) || prefixes.some((p) => c.startsWith(p));
}

function summary(op: OpResult): OpSummary {
  const out: OpSummary = { op: op.action, collection: op.collection, rkey: op.rkey, cid: op.cid };
  if (op.prev !== null) out.prev = op.prev;
  return out;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return null;
  }
}

const KIND_OF_TYPE: Record<string, EventKind> = { '#commit': 'commit', '#sync': 'sync', '#identity': 'identity', '#account': 'account', '#info': 'info' };
const MAX_STATES = 1_000_000;

function givenKeyResolver(resolveKey: KeyResolver): AccountResolver {
  return async (did, opts) => {
    const key = await resolveKey(did, opts);
    return { did, source: 'given', current: key.did(), history: null, pds: null };
  };
}

export class FirehosePipeline {
  readonly stats: PipelineStats = { frames: 0, events: 0, shown: 0, failures: 0, skipped: 0, lastSeq: null, inactive: 0, hostMismatch: 0, keyRotated: 0, resyncs: 0 };
  /** `resynced`: the state comes from a fetched repository (events up to its rev are in it). */
  private readonly states = new Map<string, ChainState & { commitCid: string | null; resynced?: boolean }>();
  /** Status from `#account` events: null = active. */
  private readonly statuses = new Map<string, string | null>();
  private readonly lastFailureRefresh = new Map<string, number>();
  private readonly directory: AccountDirectory | null;
  private readonly verify: boolean;
  private readonly strict: boolean;
  private readonly dids: Set<string> | null;
  private readonly shownTypes: Set<EventKind>;
  private readonly matchCollection: ((collection: string) => boolean) | null;
  private readonly clock: () => number;
  private readonly jobOptions: JobOptions;
  private readonly hostOrigin: string | null;
  private readonly inline: InlineExecutor;

  // `run` state
  private readonly slots: Array<Slot | undefined> = [];
  private slotHead = 0;
  private base = 0;
  private nextN = 0;
  private pendingBytes = 0;
  private readonly parked = new Map<string, Slot[]>();
  private executor: Executor;
  private pool: WorkerPool | null = null;
  private poolStarting = false;
  private ready: StreamOutput[] = [];
  private readySeq: number | null = null;
  private yieldedSeq: number | null = null;
  private ended = false;
  private closed = false;
  private fatal: unknown = null;
  private sourceError: unknown = null;
  private wakeHead: (() => void) | null = null;
  private wakeSpace: (() => void) | null = null;
  private flushScheduled = false;
  private dispatched = 0;
  private starvedWaits = 0;
  /** `resync` applies (in `run` only). */
  private resyncing = false;

  constructor(private readonly options: PipelineOptions = {}) {
    this.verify = options.verify === true;
    this.strict = options.strict ?? true;
    let resolver = options.resolveAccount;
    if (resolver === undefined && options.resolveKey !== undefined) resolver = givenKeyResolver(options.resolveKey);
    if (this.verify && resolver === undefined) throw new TypeError('FirehosePipeline: verify needs resolveKey or resolveAccount');
    if (options.hostCheck !== undefined && resolver === undefined) throw new TypeError('FirehosePipeline: hostCheck needs resolveAccount');
    this.clock = options.clock ?? Date.now;
    this.directory = resolver === undefined
      ? null
      : new AccountDirectory(resolver, {
          ...(options.keyConcurrency !== undefined ? { concurrency: options.keyConcurrency } : {}),
          ...(options.errorTtlMs !== undefined ? { errorTtlMs: options.errorTtlMs } : {}),
          clock: this.clock,
          onResolved: (did, result) => this.tellResolved(did, result),
        });
    this.dids = options.dids && options.dids.length > 0 ? new Set(options.dids) : null;
    this.matchCollection = collectionMatcher(options.collections);
    this.shownTypes = new Set(options.events && options.events.length > 0 ? options.events : this.matchCollection ? ['commit'] : EVENT_KINDS);
    this.jobOptions = { verify: this.verify, strict: this.strict, records: options.ops === true };
    this.hostOrigin = options.hostCheck !== undefined ? originOf(options.hostCheck) : null;
    this.inline = new InlineExecutor(this.jobOptions, (token, result) => this.onResult(token, result));
    this.executor = this.inline;
  }

  private async tellResolved(did: string, result: AccountLookup): Promise<void> {
    await this.options.onAccount?.(did, result);
    if (this.options.onKey !== undefined) {
      let keyResult: KeyResult;
      if (result.info === undefined) keyResult = { error: result.error };
      else if (result.info.current === null) keyResult = { error: `the DID document of ${did} has no atproto signing key` };
      else {
        try {
          keyResult = { key: parseDidKey(result.info.current) };
        } catch (err) {
          keyResult = { error: message(err) };
        }
      }
      await this.options.onKey(did, keyResult);
    }
  }

  /** The verified state of an account, if any. */
  state(did: string): AccountState | undefined {
    const s = this.states.get(did);
    if (s === undefined) return undefined;
    return { rev: s.rev, data: parseCid(s.data), ...(s.commitCid !== null ? { commitCid: parseCid(s.commitCid) } : {}) };
  }

  /** `run`: the seq of the last frame whose outputs have been yielded (null before any). */
  get lastYieldedSeq(): number | null {
    return this.yieldedSeq;
  }

  /** Account look-ups so far (in flight, most at once, failures). */
  get lookups(): AccountDirectory['stats'] | null {
    return this.directory?.stats ?? null;
  }

  /** Seed the key cache (replay: the keys the recording says were used). */
  primeKey(did: string, result: KeyResult): void {
    this.directory?.prime(did, 'key' in result ? { info: { did, source: 'given', current: result.key.did(), history: null, pds: null } } : { error: result.error });
  }

  /** Seed an account (replay: what the recording says was resolved). */
  primeAccount(did: string, result: AccountLookup): void {
    this.directory?.prime(did, result);
  }

  // -------------------------------------------------------------------------------------------
  // Per-frame decisions shared by `process` and `run`

  private newSlot(input: FrameInput): Slot {
    const data = input.data;
    const peek = typeof data === 'string' ? null : input.peek !== undefined && input.peek !== null ? input.peek : peekFrame(data);
    const slot: Slot = {
      n: this.nextN++,
      data,
      receivedAt: input.receivedAt,
      peek,
      size: typeof data === 'string' ? data.length : data.length,
      generation: 0,
      needsAccount: false,
      needsKeys: false,
      entry: null,
      candidates: null,
      result: null,
      refreshed: false,
    };
    const did = peek !== null && peek.op === 1 ? peek.did : null;
    const kind = peek !== null && peek.op === 1 && peek.type !== null ? KIND_OF_TYPE[peek.type] : undefined;
    if (did !== null && kind !== undefined && kind !== 'info' && this.directory !== null) {
      if (kind === 'identity') {
        // A hint to look the account up again, whatever the filters say (2.F).
        this.directory.invalidate(did);
        this.lastFailureRefresh.delete(did);
      }
      slot.generation = this.directory.generation(did);
      const wanted = this.shownTypes.has(kind) && (this.dids === null || this.dids.has(did));
      slot.needsKeys = this.verify && wanted && (kind === 'commit' || kind === 'sync');
      slot.needsAccount = slot.needsKeys || (this.hostOrigin !== null && wanted);
    }
    return slot;
  }

  private assign(slot: Slot, entry: AccountEntry): void {
    slot.entry = entry;
    const info = entry.result.info;
    slot.candidates = info === undefined ? null : candidateKeys(info, slot.peek?.time ?? null, { earlier: slot.peek?.type === '#sync' });
  }

  private jobKeys(slot: Slot): readonly string[] | null {
    if (!slot.needsKeys || slot.candidates === null) return null;
    return slot.candidates.keys;
  }

  // -------------------------------------------------------------------------------------------
  // One frame at a time

  /** Process one frame on this thread; returns what to show, in order. (Only `run` resyncs.) */
  async process(item: InboundFrame | FrameInput): Promise<PipelineOutput[]> {
    const input: FrameInput = 'kind' in item ? { data: item.data, receivedAt: item.receivedAt } : item;
    const slot = this.newSlot(input);
    if ('kind' in item && item.kind === 'invalid') {
      slot.result = { kind: 'invalid', seq: item.seq, reason: item.error.message };
    } else {
      const did = slot.peek?.did;
      if (slot.needsAccount && did !== undefined && did !== null && this.directory !== null) {
        this.assign(slot, await this.directory.lookup(did));
      }
      slot.result = this.runInline(slot);
    }
    if ('kind' in item && item.seq !== null) this.stats.lastSeq = item.seq;
    const out = await this.finalize(slot);
    this.options.onHandled?.({ data: slot.data, receivedAt: slot.receivedAt, seq: slot.peek?.seq ?? null });
    return out.filter((o): o is PipelineOutput => o.kind !== 'resync');
  }

  private runInline(slot: Slot): FrameResult {
    return this.inline.runNow({ bytes: slot.data, keys: this.jobKeys(slot), receivedAt: slot.receivedAt });
  }

  // -------------------------------------------------------------------------------------------
  // Finalizing a frame: everything that needs state, in stream order

  private failure(seq: number | null, did: string | null, type: Failure['type'], reasons: string[]): PipelineOutput {
    this.stats.failures++;
    return { kind: 'failure', value: { seq, did, type, ok: false, reasons } };
  }

  private finalize(slot: Slot): StreamOutput[] | Promise<StreamOutput[]> {
    this.stats.frames++;
    if (slot.peek?.seq !== undefined && slot.peek.seq !== null) this.stats.lastSeq = slot.peek.seq;
    const out = this.finalizeInner(slot);
    if (out instanceof Promise) {
      return out.then((o) => {
        if (o.length > 0) this.stats.shown++;
        return o;
      });
    }
    if (out.length > 0) this.stats.shown++;
    return out;
  }

  private flags(slot: Slot, did: string, keyIndex: number, withStatus = true): EventFlags {
    const flags: EventFlags = {};
    const c = slot.candidates;
    if (keyIndex >= 0 && c !== null) {
      const replaced = c.replacedAt[keyIndex];
      if (replaced !== undefined && replaced !== null) {
        flags.keyRotatedSince = replaced;
        this.stats.keyRotated++;
      }
    }
    let status = withStatus ? this.statuses.get(did) : null;
    if (status === undefined) {
      const first = slot.entry?.result.info?.status;
      if (first !== undefined && !first.active) status = first.status ?? 'inactive';
    }
    if (status !== undefined && status !== null) {
      flags.inactive = status;
      this.stats.inactive++;
    }
    if (this.hostOrigin !== null && c !== null && c.pds !== null && originOf(c.pds) !== this.hostOrigin) {
      flags.hostMismatch = c.pds;
      this.stats.hostMismatch++;
    }
    return flags;
  }

  private finalizeInner(slot: Slot): StreamOutput[] | Promise<StreamOutput[]> {
    const r = slot.result as FrameResult;
    switch (r.kind) {
      case 'invalid':
        return [this.failure(r.seq ?? slot.peek?.seq ?? null, null, null, [r.reason])];
      case 'skipped':
      case 'error':
        this.stats.skipped++;
        return [];
      case 'unparsable':
        if (r.type !== 'info') this.stats.events++;
        if (!this.shownTypes.has(r.type) || (this.dids && r.did !== null && !this.dids.has(r.did))) return [];
        return [this.failure(r.seq ?? slot.peek?.seq ?? null, r.did, r.type, [r.reason])];
      case 'info': {
        // #info names no account: with --did it is shown only when --events asks for it.
        const show = this.shownTypes.has('info') && (this.dids === null || (this.options.events ?? []).includes('info'));
        return show ? [{ kind: 'event', value: { type: 'info', name: r.name, message: r.message } }] : [];
      }
      default:
        break;
    }
    this.stats.events++;
    const did = r.did;
    if (r.kind === 'account') {
      if (r.active) this.statuses.delete(did);
      else {
        this.statuses.set(did, r.status ?? 'inactive');
        if (this.statuses.size > MAX_STATES) this.statuses.delete(this.statuses.keys().next().value as string);
      }
    }
    if (this.dids && !this.dids.has(did)) return [];
    if (!this.shownTypes.has(r.kind)) return [];
    switch (r.kind) {
      case 'identity':
        return [{ kind: 'event', value: { seq: r.seq, type: 'identity', did, time: r.time, handle: r.handle, ...this.flags(slot, did, -1) } }];
      case 'account':
        return [{ kind: 'event', value: { seq: r.seq, type: 'account', did, time: r.time, active: r.active, status: r.status, ...this.flags(slot, did, -1, false) } }];
      case 'sync':
      case 'commit':
        if (this.verify && r.check !== undefined && r.check.signature === 'invalid' && this.mayRefresh(slot, did)) return this.refreshAndRetry(slot, did);
        return r.kind === 'sync' ? this.finishSync(slot, r) : this.finishCommit(slot, r);
    }
  }

  /** A failed signature: look the keys up again (bypassing caches) once per interval per DID. */
  private mayRefresh(slot: Slot, did: string): boolean {
    if (slot.refreshed || this.directory === null || slot.entry === null) return false;
    const last = this.lastFailureRefresh.get(did);
    return last === undefined || this.clock() - last >= (this.options.refreshAfterFailureMs ?? 10_000);
  }

  private async refreshAndRetry(slot: Slot, did: string): Promise<StreamOutput[]> {
    const directory = this.directory as AccountDirectory;
    this.lastFailureRefresh.set(did, this.clock());
    if (this.lastFailureRefresh.size > MAX_STATES) this.lastFailureRefresh.delete(this.lastFailureRefresh.keys().next().value as string);
    slot.refreshed = true;
    const before = slot.candidates?.keys.join(' ');
    const entry = await directory.lookup(did, true);
    this.lastFailureRefresh.set(did, this.clock());
    this.assign(slot, entry);
    if (slot.candidates !== null && slot.candidates.keys.join(' ') !== before) slot.result = this.runInline(slot);
    const r = slot.result as FrameResult & { kind: 'commit' | 'sync' };
    return r.kind === 'sync' ? this.finishSync(slot, r) : this.finishCommit(slot, r);
  }

  /** Why the keys could not be used: a failed look-up, or no key in force at the event's time. */
  private keyProblem(slot: Slot, did: string): string | null {
    const lookup = slot.entry?.result;
    if (lookup === undefined) return `cannot get the signing key of ${did}: not looked up`;
    if (lookup.error !== undefined) return `cannot get the signing key of ${did}: ${lookup.error}`;
    const c = slot.candidates;
    if (c !== null && c.keys.length === 0) return `cannot check the signature: ${c.none ?? 'no signing key'}`;
    return null;
  }

  /** The reasons of a failed check, with what a bad signature means for this account's keys. */
  private reasonsOf(slot: Slot, check: NonNullable<Extract<FrameResult, { kind: 'commit' }>['check']>): string[] {
    if (check.signature !== 'invalid') return check.reasons;
    const info = slot.entry?.result.info;
    const note = info?.source === 'web'
      ? 'did:web keeps no key history: the key may have been rotated since, and an earlier key cannot be checked'
      : info?.source === 'plc'
        ? `not signed by the key in force at the event's time${slot.peek?.time ? ` (${slot.peek.time})` : ''}`
        : null;
    return note === null ? check.reasons : check.reasons.map((x) => (x.startsWith('bad signature:') ? `${x}; ${note}` : x));
  }

  private finishSync(slot: Slot, r: Extract<FrameResult, { kind: 'sync' }>): StreamOutput[] | Promise<StreamOutput[]> {
    const did = r.did;
    const view: SyncView = { seq: r.seq, type: 'sync', did, time: r.time, rev: r.rev };
    if (!this.verify) return [{ kind: 'event', value: { ...view, ...this.flags(slot, did, -1) } }];
    const problem = this.keyProblem(slot, did);
    if (problem !== null || r.check === undefined) return [this.failure(r.seq, did, 'sync', [problem ?? 'not verified'])];
    const check = r.check;
    const state = this.states.get(did);
    const chain = check.data !== null ? syncChain({ rev: r.rev, data: check.data }, state) : null;
    const reasons = [...this.reasonsOf(slot, check), ...(chain?.reasons ?? [])];
    if (reasons.length > 0 || !check.ok || chain === null || check.data === null) return [this.failure(r.seq, did, 'sync', reasons)];
    const shown: StreamOutput = { kind: 'event', value: { ...view, verified: true, ...this.flags(slot, did, check.keyIndex) } };
    if (chain.chain === 'broken' && this.resyncing) {
      return this.resync(slot, did, r.seq).then((extra) => [shown, ...extra]);
    }
    this.setState(did, { rev: r.rev, data: check.data, commitCid: check.commitCid });
    return [shown];
  }

  private finishCommit(slot: Slot, r: Extract<FrameResult, { kind: 'commit' }>): StreamOutput[] | Promise<StreamOutput[]> {
    const did = r.did;
    const match = this.matchCollection;
    const shownOps = match === null ? r.ops : r.ops.filter((o) => match(o.collection));
    const visible = shownOps.length > 0 || (match === null && r.ops.length === 0);
    let verified = false;
    let flags: EventFlags;
    if (this.verify) {
      const problem = this.keyProblem(slot, did);
      if (problem !== null || r.check === undefined) return visible ? [this.failure(r.seq, did, 'commit', [problem ?? 'not verified'])] : [];
      const check = r.check;
      const state = this.states.get(did);
      // Events read before a resync whose repository already holds them: nothing to chain.
      const covered = state?.resynced === true && r.rev <= state.rev;
      const chain = check.commitCid !== null && !covered ? commitChain({ rev: r.rev, since: r.since, prevData: r.prevData, opsUsable: check.opsUsable }, state, this.strict) : null;
      const reasons = [...this.reasonsOf(slot, check), ...(chain?.reasons ?? [])];
      if (reasons.length > 0 || !check.ok || check.data === null) {
        const failed = visible ? [this.failure(r.seq, did, 'commit', reasons)] : [];
        if (chain?.chain === 'broken' && check.ok && check.data !== null) {
          // Internally valid but discontinuous (missed events): resync, or restart the chain here.
          if (this.resyncing) return this.resync(slot, did, r.seq).then((extra) => [...failed, ...extra]);
          this.setState(did, { rev: r.rev, data: check.data, commitCid: check.commitCid });
        }
        return failed;
      }
      if (!covered) this.setState(did, { rev: r.rev, data: check.data, commitCid: check.commitCid });
      if (!visible) return [];
      verified = true;
      flags = this.flags(slot, did, check.keyIndex);
    } else {
      if (!visible) return [];
      flags = this.flags(slot, did, -1);
    }

    if (this.options.ops) {
      return shownOps.map((o) => {
        const row: OpRow = {
          seq: r.seq,
          type: 'commit',
          did,
          time: r.time,
          rev: r.rev,
          op: o.action,
          collection: o.collection,
          rkey: o.rkey,
          cid: o.cid,
          ...(o.prev !== null ? { prev: o.prev } : {}),
          record: o.record ?? null,
          ...flags,
        };
        if (verified) row.verified = true;
        return { kind: 'op', value: row };
      });
    }
    const view: CommitView = { seq: r.seq, type: 'commit', did, time: r.time, rev: r.rev, since: r.since, commit: r.commit, ops: r.ops.map(summary) };
    if (verified) view.verified = true;
    Object.assign(view, flags);
    return [{ kind: 'event', value: view }];
  }

  private setState(did: string, state: ChainState & { commitCid: string | null; resynced?: boolean }): void {
    this.states.delete(did);
    this.states.set(did, state);
    if (this.states.size > MAX_STATES) this.states.delete(this.states.keys().next().value as string);
  }

  private async resync(slot: Slot, did: string, seq: number): Promise<StreamOutput[]> {
    this.stats.resyncs++;
    let outcome: ResyncOutcome;
    try {
      outcome = await (this.options.resync as RepoResyncer)(did, slot.entry?.result.info ?? null);
    } catch (err) {
      if (isAtcliError(err) && err.kind === 'interrupted') throw err;
      outcome = { ok: false, reasons: [message(err)], from: null };
    }
    if (!outcome.ok) {
      // The chain restarts from nothing: the next commit is judged on its own.
      this.states.delete(did);
      return [this.failure(seq, did, 'resync', outcome.reasons.map((x) => `resync${outcome.from ? ` from ${outcome.from}` : ''}: ${x}`))];
    }
    this.setState(did, { rev: outcome.rev, data: outcome.data, commitCid: outcome.commit, resynced: true });
    return [{ kind: 'resync', value: { seq, type: 'resync', did, ok: true, rev: outcome.rev, commit: outcome.commit, records: outcome.records, from: outcome.from } }];
  }

  // -------------------------------------------------------------------------------------------
  // A whole stream

  /**
   * Process every frame of `source`, yielding the outputs in stream order, in batches. Reading
   * stops while the window of unfinished frames is full (back-pressure). Closing the loop early
   * closes the source and stops the worker threads. A source error is thrown after the outputs
   * of every frame read before it.
   *
   * A batch counts as handled when the consumer asks for the next one: the source is then told
   * (`acknowledge`) the last seq it covered, which is what a cursor file records. A consumer that
   * stops early after handling its last batch (a limit) acknowledges it itself, with
   * {@link lastYieldedSeq}; one that stops on an error does not, so nothing is skipped on resume.
   */
  async *run(source: FrameSource): AsyncGenerator<StreamOutput[], void, undefined> {
    if (this.nextN !== 0) throw new TypeError('FirehosePipeline.run: a pipeline runs one stream');
    this.resyncing = this.options.resync !== undefined;
    const pump = this.pump(source);
    let acknowledged: number | null = null;
    try {
      for (;;) {
        const batch = await this.nextBatch();
        if (batch === null) break;
        const seq = this.readySeq;
        this.yieldedSeq = seq;
        if (batch.length > 0) yield batch;
        if (seq !== null && seq !== acknowledged) {
          acknowledged = seq;
          void source.acknowledge?.(seq);
        }
      }
      await pump;
      if (this.sourceError !== null) throw this.sourceError;
    } finally {
      this.closed = true;
      this.wakeSpace?.();
      source.close?.();
      await this.inline.close();
      await this.pool?.close();
    }
  }

  private get maxPendingFrames(): number {
    return this.options.maxPendingFrames ?? 4096;
  }

  private full(): boolean {
    const pending = this.nextN - this.base;
    return pending >= this.maxPendingFrames || this.pendingBytes >= (this.options.maxPendingBytes ?? 12 * 1024 * 1024);
  }

  private async pump(source: FrameSource): Promise<void> {
    const it = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        while (this.full() && !this.closed) await new Promise<void>((resolve) => (this.wakeSpace = resolve));
        if (this.closed) break;
        const next = await it.next();
        if (next.done || this.closed) break;
        this.admit(next.value);
      }
    } catch (err) {
      this.sourceError = err;
    } finally {
      this.ended = true;
      this.executor.flush();
      this.wakeHead?.();
    }
  }

  private admit(input: FrameInput): void {
    const slot = this.newSlot(input);
    this.slots.push(slot);
    this.pendingBytes += slot.size;
    const did = slot.peek?.did;
    if (slot.needsAccount && did !== undefined && did !== null && this.directory !== null) {
      const waiting = this.parked.get(did);
      const entry = waiting === undefined ? this.directory.cached(did) : undefined;
      if (entry !== undefined) {
        this.assign(slot, entry);
        this.dispatch(slot);
      } else if (waiting !== undefined) {
        waiting.push(slot);
      } else {
        this.parked.set(did, [slot]);
        this.lookUp(did);
      }
    } else {
      this.dispatch(slot);
    }
    this.scheduleFlush();
  }

  private lookUp(did: string): void {
    const directory = this.directory as AccountDirectory;
    directory.lookup(did).then(
      (entry) => this.onLookedUp(did, entry),
      (err: unknown) => this.fail(err),
    );
  }

  private onLookedUp(did: string, entry: AccountEntry): void {
    const waiting = this.parked.get(did);
    if (waiting === undefined) return;
    // Frames that arrived after an #identity need an entry from after it.
    let i = 0;
    while (i < waiting.length && (waiting[i] as Slot).generation <= entry.generation) {
      const slot = waiting[i++] as Slot;
      this.assign(slot, entry);
      this.dispatch(slot);
    }
    if (i === waiting.length) this.parked.delete(did);
    else {
      waiting.splice(0, i);
      this.lookUp(did);
    }
    this.scheduleFlush();
  }

  private dispatch(slot: Slot): void {
    if (typeof slot.data === 'string') {
      slot.result = this.runInline(slot);
      this.onResult(slot.n, slot.result);
      return;
    }
    if (++this.dispatched === (this.options.inlineFrames ?? 256)) enableFastK256();
    this.executor.submit({ token: slot.n, bytes: slot.data, keys: this.jobKeys(slot), receivedAt: slot.receivedAt, did: slot.peek?.did ?? null });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.executor.flush();
    });
  }

  /**
   * Worker threads start once the stream is past `inlineFrames` and this thread is what the
   * consumer waits for (its queue of frames to process is long): a short stream, or one whose
   * consumer is the slow part, never pays for them (start-up time, memory).
   */
  private maybeStartWorkers(): void {
    const inlineFrames = this.options.inlineFrames ?? 256;
    if (this.pool !== null || this.poolStarting || this.dispatched < inlineFrames) return;
    if (this.inline.pending < Math.min(32, inlineFrames)) return;
    // The consumer had to wait for this thread often enough that it is not a start-up blip.
    if (++this.starvedWaits < Math.min(16, inlineFrames)) return;
    this.poolStarting = true;
    const size = this.options.workers ?? availableParallelism();
    if (size <= 1) return;
    const workerUrl = this.options.workerUrl ?? new URL('../firehose-worker.js', import.meta.url);
    if (workerUrl.protocol === 'file:' && !existsSync(fileURLToPath(workerUrl))) {
      this.options.onNotice?.({ type: 'workers-unavailable', reason: `no worker entry at ${workerUrl.href}` });
      return;
    }
    WorkerPool.start({
      size,
      workerUrl,
      options: this.jobOptions,
      fastK256From: import.meta.url,
      onResult: (token, result) => this.onResult(token, result),
      onError: (err) => this.fail(err),
    }).then(
      (pool) => {
        if (this.closed) {
          void pool.close();
          return;
        }
        this.pool = pool;
        this.executor = pool;
        this.options.onNotice?.({ type: 'workers', count: pool.size });
      },
      (err: unknown) => this.options.onNotice?.({ type: 'workers-unavailable', reason: message(err) }),
    );
  }

  private fail(err: unknown): void {
    if (this.fatal === null) this.fatal = err;
    this.wakeHead?.();
  }

  private onResult(token: number, result: FrameResult): void {
    const slot = this.slots[this.slotHead + token - this.base];
    if (slot === undefined || slot.n !== token) return;
    slot.result = result;
    if (token === this.base) this.wakeHead?.();
  }

  /** The outputs of the finished frames at the head of the window, or null at the end. */
  private async nextBatch(): Promise<StreamOutput[] | null> {
    const maxBatch = this.options.maxBatch ?? 512;
    for (;;) {
      if (this.fatal !== null) throw this.fatal;
      let took = false;
      while (this.ready.length < maxBatch) {
        const slot = this.slots[this.slotHead];
        if (slot === undefined || slot.result === null) break;
        const out = this.finalize(slot);
        const outputs = out instanceof Promise ? await out : out;
        for (const o of outputs) this.ready.push(o);
        this.options.onHandled?.({ data: slot.data, receivedAt: slot.receivedAt, seq: slot.peek?.seq ?? null });
        this.slots[this.slotHead++] = undefined;
        this.base++;
        this.pendingBytes -= slot.size;
        if (slot.peek?.seq !== undefined && slot.peek.seq !== null) this.readySeq = slot.peek.seq;
        took = true;
      }
      if (this.slotHead > 4096 && this.slotHead * 2 > this.slots.length) {
        this.slots.splice(0, this.slotHead);
        this.slotHead = 0;
      }
      if (took) this.wakeSpace?.();
      if (this.ready.length > 0 || took) {
        const batch = this.ready;
        this.ready = [];
        return batch;
      }
      if (this.ended && this.base === this.nextN) return null;
      this.maybeStartWorkers();
      await new Promise<void>((resolve) => (this.wakeHead = resolve));
      this.wakeHead = null;
    }
  }
}

export type { AccountInfo, AccountLookup, AccountResolver, KeyCandidates } from './keys.js';
export type { Cid };
