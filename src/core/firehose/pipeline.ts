/**
 * The firehose pipeline shared by `firehose tail` (live frames from the subscriber) and
 * `firehose replay` (frames from a recording): decode → parse → filter → verify → plain output
 * objects. Same frames in, same outputs out.
 *
 * - Per-account state `{rev, data}` is updated only after a verified `#commit` (F20) or `#sync`
 *   (F23: the declared state is adopted). A commit that is internally valid but does not continue
 *   the chain (missed events: E20) is reported, and the account's state restarts from it, so one
 *   gap does not make every later commit fail.
 * - Signing keys are resolved once per DID and cached; an `#identity` event marks the DID's key
 *   stale (re-resolved on next use, bypassing caches), and a failed signature check re-resolves it
 *   once and verifies again (K8, D9) — at most once per `refreshAfterFailureMs` per DID.
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
import { readCarBytes } from '../codec/car.js';
import { decodeCbor, type CborMap } from '../codec/cbor.js';
import { CODEC_DAG_CBOR, type Cid } from '../codec/cid.js';
import { cborToJson, type JsonValue } from '../codec/json.js';
import type { PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { EventError, MAX_COMMIT_BLOCKS_BYTES, parseEvent, splitRepoPath, type CommitEvent, type RepoOpAction, type SyncEvent } from './events.js';
import { isMap } from './frame.js';
import type { InboundFrame } from './subscriber.js';
import { verifyCommitEvent, verifySyncEvent, type AccountState, type EventVerifyResult, type VerifiedOp } from './verify.js';

export const EVENT_KINDS = ['commit', 'sync', 'identity', 'account', 'info'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type KeyResolver = (did: string, opts: { fresh: boolean }) => Promise<PublicKey>;
export type KeyResult = { key: PublicKey } | { error: string };

export interface OpSummary {
  op: RepoOpAction;
  collection: string;
  rkey: string;
  cid: string | null;
  prev?: string;
}

export interface CommitView {
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

export interface SyncView {
  seq: number;
  type: 'sync';
  did: string;
  time: string;
  rev: string;
  verified?: true;
}

export interface IdentityView {
  seq: number;
  type: 'identity';
  did: string;
  time: string;
  handle: string | null;
}

export interface AccountView {
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

export type EventView = CommitView | SyncView | IdentityView | AccountView | InfoView;

/** One record operation (`--ops`). */
export interface OpRow {
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
  type: EventKind | null;
  ok: false;
  reasons: string[];
}

export type PipelineOutput = { kind: 'event'; value: EventView } | { kind: 'op'; value: OpRow } | { kind: 'failure'; value: Failure };

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
}

export interface PipelineOptions {
  verify?: boolean;
  /** Legacy events without prevData/prev fail (default true). */
  strict?: boolean;
  collections?: readonly string[];
  dids?: readonly string[];
  events?: readonly EventKind[];
  ops?: boolean;
  /** Required with `verify`. */
  resolveKey?: KeyResolver;
  /** Told about every key resolution (recordings keep them for offline replay). */
  onKey?: (did: string, result: KeyResult) => void | Promise<void>;
  /** Minimum time between failure-driven key refreshes of one DID (default 10 s). */
  refreshAfterFailureMs?: number;
  /** How long a failed key resolution is remembered (default 60 s; `#identity` clears it). */
  errorTtlMs?: number;
  /** Clock of the key cache (tests). "rev in the future" is checked against each frame's `receivedAt`. */
  clock?: () => number;
}

interface KeyEntry {
  result: KeyResult;
  at: number;
  stale: boolean;
  lastFailureRefresh: number | null;
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

function toJsonRecord(record: CborMap | undefined): JsonValue | null {
  if (record === undefined) return null;
  try {
    return cborToJson(record);
  } catch {
    return null;
  }
}

/** Records of a commit's create/update ops, read from its CAR slice (hash-checked) without verifying anything else. */
function recordsFromBlocks(evt: CommitEvent): Map<string, CborMap> {
  const out = new Map<string, CborMap>();
  let blocks: Map<string, Uint8Array>;
  try {
    blocks = new Map();
    for (const b of readCarBytes(evt.blocks, { maxBlockBytes: MAX_COMMIT_BLOCKS_BYTES })) blocks.set(b.cid.key, b.bytes);
  } catch {
    return out;
  }
  for (const op of evt.ops) {
    if (op.cid === null || op.cid.codec !== CODEC_DAG_CBOR) continue;
    const bytes = blocks.get(op.cid.key);
    if (bytes === undefined) continue;
    try {
      const value = decodeCbor(bytes);
      if (isMap(value)) out.set(op.path, value);
    } catch {
      // unreadable: no record
    }
  }
  return out;
}

function opsOf(evt: CommitEvent): VerifiedOp[] {
  const out: VerifiedOp[] = [];
  for (const op of evt.ops) {
    if (op.action !== 'create' && op.action !== 'update' && op.action !== 'delete') continue;
    const split = splitRepoPath(op.path, false);
    const { collection, rkey } = 'problem' in split ? { collection: op.path, rkey: '' } : split;
    out.push({ action: op.action, path: op.path, collection, rkey, cid: op.cid, prev: op.prev });
  }
  return out;
}

const cidString = (c: Cid | null): string | null => (c === null ? null : c.toString());

function summary(op: VerifiedOp): OpSummary {
  const out: OpSummary = { op: op.action, collection: op.collection, rkey: op.rkey, cid: cidString(op.cid) };
  if (op.prev !== null) out.prev = op.prev.toString();
  return out;
}

export class FirehosePipeline {
  readonly stats: PipelineStats = { frames: 0, events: 0, shown: 0, failures: 0, skipped: 0, lastSeq: null };
  private readonly states = new Map<string, AccountState>();
  private readonly keys = new Map<string, KeyEntry>();
  private readonly verify: boolean;
  private readonly strict: boolean;
  private readonly dids: Set<string> | null;
  private readonly shownTypes: Set<EventKind>;
  private readonly matchCollection: ((collection: string) => boolean) | null;
  private readonly clock: () => number;

  constructor(private readonly options: PipelineOptions = {}) {
    this.verify = options.verify === true;
    this.strict = options.strict ?? true;
    if (this.verify && options.resolveKey === undefined) throw new TypeError('FirehosePipeline: verify needs resolveKey');
    this.dids = options.dids && options.dids.length > 0 ? new Set(options.dids) : null;
    this.matchCollection = collectionMatcher(options.collections);
    this.shownTypes = new Set(options.events && options.events.length > 0 ? options.events : this.matchCollection ? ['commit'] : EVENT_KINDS);
    this.clock = options.clock ?? Date.now;
  }

  /** The verified state of an account, if any. */
  state(did: string): AccountState | undefined {
    return this.states.get(did);
  }

  /** Seed the key cache (replay: the keys the recording says were used). */
  primeKey(did: string, result: KeyResult): void {
    const prev = this.keys.get(did);
    this.keys.set(did, { result, at: this.clock(), stale: false, lastFailureRefresh: prev?.lastFailureRefresh ?? null });
  }

  private async resolve(did: string, fresh: boolean): Promise<KeyResult> {
    const resolver = this.options.resolveKey as KeyResolver;
    let result: KeyResult;
    try {
      result = { key: await resolver(did, { fresh }) };
    } catch (err) {
      if (isAtcliError(err) && err.kind === 'interrupted') throw err;
      result = { error: message(err) };
    }
    const prev = this.keys.get(did);
    this.keys.set(did, { result, at: this.clock(), stale: false, lastFailureRefresh: prev?.lastFailureRefresh ?? null });
    await this.options.onKey?.(did, result);
    return result;
  }

  private async key(did: string): Promise<KeyResult> {
    const entry = this.keys.get(did);
    if (entry !== undefined && !entry.stale) {
      if ('key' in entry.result || this.clock() - entry.at < (this.options.errorTtlMs ?? 60_000)) return entry.result;
    }
    return this.resolve(did, entry !== undefined);
  }

  /** Verify with the cached key; on a bad signature re-resolve once and verify again. */
  private async withKey<T extends EventVerifyResult>(did: string, run: (key: PublicKey) => T): Promise<{ result: T; key: PublicKey } | { keyError: string }> {
    const first = await this.key(did);
    if ('error' in first) return { keyError: first.error };
    let key = first.key;
    let result = run(key);
    if (result.signature === 'invalid') {
      const entry = this.keys.get(did);
      const now = this.clock();
      const last = entry?.lastFailureRefresh ?? null;
      if (last === null || now - last >= (this.options.refreshAfterFailureMs ?? 10_000)) {
        if (entry) entry.lastFailureRefresh = now;
        const fresh = await this.resolve(did, true);
        const stored = this.keys.get(did);
        if (stored) stored.lastFailureRefresh = now;
        if ('key' in fresh && fresh.key.did() !== key.did()) {
          key = fresh.key;
          result = run(key);
        }
      }
    }
    return { result, key };
  }

  private failure(seq: number | null, did: string | null, type: EventKind | null, reasons: string[]): PipelineOutput {
    this.stats.failures++;
    return { kind: 'failure', value: { seq, did, type, ok: false, reasons } };
  }

  /** Process one frame; returns what to show, in order. */
  async process(item: InboundFrame): Promise<PipelineOutput[]> {
    this.stats.frames++;
    if (item.seq !== null) this.stats.lastSeq = item.seq;
    const out = await this.processInner(item);
    if (out.length > 0) this.stats.shown++;
    return out;
  }

  private async processInner(item: InboundFrame): Promise<PipelineOutput[]> {
    const now = item.receivedAt;
    if (item.kind === 'invalid') return [this.failure(item.seq, null, null, [item.error.message])];
    const frame = item.frame;
    if (frame.kind !== 'message') {
      this.stats.skipped++;
      return [];
    }
    const kind = frame.type.slice(1) as EventKind;
    let evt;
    try {
      evt = parseEvent(frame.type, frame.body);
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      if (kind !== 'info') this.stats.events++;
      if (!this.shownTypes.has(kind) || (this.dids && err.did !== null && !this.dids.has(err.did))) return [];
      return [this.failure(err.seq ?? item.seq, err.did, kind, [err.message])];
    }
    if (evt.type === '#info') {
      // #info names no account: with --did it is shown only when --events asks for it.
      const show = this.shownTypes.has('info') && (this.dids === null || (this.options.events ?? []).includes('info'));
      return show ? [{ kind: 'event', value: { type: 'info', name: evt.name, message: evt.message } }] : [];
    }
    this.stats.events++;
    const did = evt.type === '#commit' ? evt.repo : evt.did;
    if (evt.type === '#identity') {
      // A hint to re-resolve, whatever the filters say (2.F).
      const entry = this.keys.get(did);
      if (entry) {
        entry.stale = true;
        entry.lastFailureRefresh = null;
      }
    }
    if (this.dids && !this.dids.has(did)) return [];
    if (!this.shownTypes.has(kind)) return [];
    switch (evt.type) {
      case '#identity':
        return [{ kind: 'event', value: { seq: evt.seq, type: 'identity', did, time: evt.time, handle: evt.handle } }];
      case '#account':
        return [{ kind: 'event', value: { seq: evt.seq, type: 'account', did, time: evt.time, active: evt.active, status: evt.status } }];
      case '#sync':
        return this.sync(evt, now);
      case '#commit':
        return this.commit(evt, now);
    }
  }

  private async sync(evt: SyncEvent, now: number): Promise<PipelineOutput[]> {
    const view: SyncView = { seq: evt.seq, type: 'sync', did: evt.did, time: evt.time, rev: evt.rev };
    if (!this.verify) return [{ kind: 'event', value: view }];
    const state = this.states.get(evt.did);
    const checked = await this.withKey(evt.did, (key) => verifySyncEvent(evt, { key, strict: this.strict, now, ...(state ? { state } : {}) }));
    if ('keyError' in checked) return [this.failure(evt.seq, evt.did, 'sync', [`cannot get the signing key of ${evt.did}: ${checked.keyError}`])];
    const r = checked.result;
    if (!r.ok || r.newState === undefined) return [this.failure(evt.seq, evt.did, 'sync', r.reasons)];
    this.states.set(evt.did, r.newState);
    return [{ kind: 'event', value: { ...view, verified: true } }];
  }

  private async commit(evt: CommitEvent, now: number): Promise<PipelineOutput[]> {
    const match = this.matchCollection;
    const allOps = opsOf(evt);
    const shown = match === null ? allOps : allOps.filter((o) => match(o.collection));
    const visible = shown.length > 0 || (match === null && allOps.length === 0);

    let ops: VerifiedOp[];
    let verified = false;
    if (this.verify) {
      const state = this.states.get(evt.repo);
      const run = (key: PublicKey, s: AccountState | undefined) => verifyCommitEvent(evt, { key, strict: this.strict, now, ...(s ? { state: s } : {}) });
      const checked = await this.withKey(evt.repo, (key) => run(key, state));
      if ('keyError' in checked) return visible ? [this.failure(evt.seq, evt.repo, 'commit', [`cannot get the signing key of ${evt.repo}: ${checked.keyError}`])] : [];
      const r = checked.result;
      if (!r.ok || r.newState === undefined) {
        if (r.chain === 'broken' && r.signature === 'valid') {
          // Internally valid but discontinuous (missed events): restart the chain here.
          const alone = run(checked.key, undefined);
          if (alone.ok && alone.newState) this.states.set(evt.repo, alone.newState);
        }
        return visible ? [this.failure(evt.seq, evt.repo, 'commit', r.reasons)] : [];
      }
      this.states.set(evt.repo, r.newState);
      if (!visible) return [];
      ops = r.ops;
      verified = true;
    } else {
      if (!visible) return [];
      ops = allOps;
      if (this.options.ops) {
        const records = recordsFromBlocks(evt);
        ops = ops.map((o) => {
          const record = records.get(o.path);
          return record && o.action !== 'delete' ? { ...o, record } : o;
        });
      }
    }

    if (this.options.ops) {
      const keep = match === null ? ops : ops.filter((o) => match(o.collection));
      return keep.map((o) => {
        const row: OpRow = {
          seq: evt.seq,
          type: 'commit',
          did: evt.repo,
          time: evt.time,
          rev: evt.rev,
          op: o.action,
          collection: o.collection,
          rkey: o.rkey,
          cid: cidString(o.cid),
          ...(o.prev !== null ? { prev: o.prev.toString() } : {}),
          record: o.action === 'delete' ? null : toJsonRecord(o.record),
        };
        if (verified) row.verified = true;
        return { kind: 'op', value: row };
      });
    }
    const view: CommitView = {
      seq: evt.seq,
      type: 'commit',
      did: evt.repo,
      time: evt.time,
      rev: evt.rev,
      since: evt.since,
      commit: evt.commit.toString(),
      ops: ops.map(summary),
    };
    if (verified) view.verified = true;
    return [{ kind: 'event', value: view }];
  }
}
