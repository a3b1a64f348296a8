/**
 * The per-frame work that needs no account state: decode the frame strictly, parse the event, and
 * (when verifying) run every stateless check of a `#commit` / `#sync` against candidate keys. The
 * result is a plain object of strings and numbers, so it crosses threads by structured clone:
 * the same function runs inline (one thread, short streams) and in worker threads.
 *
 * What needs state — the chain (`rev`, `prevData`), account status, key refreshes — is decided
 * afterwards, in stream order, from these results (pipeline.ts).
 */
import { readCarBytes } from '../codec/car.js';
import { decodeCbor, type CborMap } from '../codec/cbor.js';
import { CODEC_DAG_CBOR } from '../codec/cid.js';
import { cborToJson, type JsonValue } from '../codec/json.js';
import { parseDidKey, type PublicKey } from '../crypto/index.js';
import { EventError, MAX_COMMIT_BLOCKS_BYTES, parseEvent, splitRepoPath, type CommitEvent, type RepoOpAction } from './events.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameError, decodeFrame, isMap, type Frame } from './frame.js';
import { verifyCommitContent, verifySyncContent, type ContentResult, type VerifiedOp } from './verify.js';

export const EVENT_KINDS = ['commit', 'sync', 'identity', 'account', 'info'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface JobOptions {
  verify: boolean;
  /** Legacy events without prevData/prev fail (default true). */
  strict?: boolean;
  /** Decode the records of created/updated ops to atproto JSON (per-op output). */
  records?: boolean;
  maxFrameBytes?: number;
}

export interface OpResult {
  action: RepoOpAction;
  collection: string;
  rkey: string;
  cid: string | null;
  prev: string | null;
  /** With `records`: the record in atproto JSON, null when absent or unreadable (always null for deletes). */
  record?: JsonValue | null;
}

/** The stateless checks of a commit or sync, in thread-safe form. */
export interface CheckResult {
  ok: boolean;
  reasons: string[];
  warnings: string[];
  signature: ContentResult['signature'];
  keyIndex: number;
  /** The signed commit's CID and MST root, once it parsed. */
  commitCid: string | null;
  data: string | null;
  /** Op shapes were fine (the legacy rules then apply: see `commitChain`). */
  opsUsable: boolean;
}

export type FrameResult =
  | { kind: 'invalid'; seq: number | null; reason: string }
  | { kind: 'skipped' }
  | { kind: 'error'; error: string; message: string | null }
  | { kind: 'unparsable'; type: EventKind; seq: number | null; did: string | null; reason: string }
  | { kind: 'info'; name: string; message: string | null }
  | { kind: 'identity'; seq: number; did: string; time: string; handle: string | null }
  | { kind: 'account'; seq: number; did: string; time: string; active: boolean; status: string | null }
  | { kind: 'commit'; seq: number; did: string; time: string; rev: string; since: string | null; commit: string; prevData: string | null; ops: OpResult[]; check?: CheckResult }
  | { kind: 'sync'; seq: number; did: string; time: string; rev: string; check?: CheckResult };

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Parsed keys by did:key string, bounded (a worker sees many accounts over a long run). */
export class KeyParseCache {
  private readonly keys = new Map<string, PublicKey | null>();
  constructor(private readonly max = 200_000) {}

  get(didKey: string): PublicKey | null {
    let k = this.keys.get(didKey);
    if (k === undefined) {
      try {
        k = parseDidKey(didKey);
      } catch {
        k = null;
      }
      if (this.keys.size >= this.max) this.keys.clear();
      this.keys.set(didKey, k);
    }
    return k;
  }
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

function opResults(ops: VerifiedOp[], records: boolean, fromBlocks: Map<string, CborMap> | null): OpResult[] {
  return ops.map((o) => {
    const out: OpResult = { action: o.action, collection: o.collection, rkey: o.rkey, cid: o.cid === null ? null : o.cid.toString(), prev: o.prev === null ? null : o.prev.toString() };
    if (records) out.record = o.action === 'delete' ? null : toJsonRecord(o.record ?? fromBlocks?.get(o.path));
    return out;
  });
}

function checkOf(c: ContentResult, opsUsable: boolean): CheckResult {
  return {
    ok: c.ok,
    reasons: c.reasons,
    warnings: c.warnings,
    signature: c.signature,
    keyIndex: c.keyIndex,
    commitCid: c.commit ? c.commit.cid.toString() : null,
    data: c.commit ? c.commit.data.toString() : null,
    opsUsable,
  };
}

export interface JobInput {
  /** Candidate signing keys (did:key), in the order to try; null when the frame is not verified. */
  keys: readonly string[] | null;
  /** When the frame arrived (ms since the epoch): "rev in the future" is judged against it. */
  receivedAt: number;
}

/** Process a decoded frame (see the module comment). Never throws for bad input. */
export function processFrame(frame: Frame, input: JobInput, options: JobOptions, keyCache: KeyParseCache): FrameResult {
  if (frame.kind === 'unknown') return { kind: 'skipped' };
  if (frame.kind === 'error') return { kind: 'error', error: frame.error, message: frame.message };
  const kind = frame.type.slice(1) as EventKind;
  let evt;
  try {
    evt = parseEvent(frame.type, frame.body);
  } catch (err) {
    if (!(err instanceof EventError)) throw err;
    return { kind: 'unparsable', type: kind, seq: err.seq, did: err.did, reason: err.message };
  }
  const strict = options.strict ?? true;
  const records = options.records === true;
  switch (evt.type) {
    case '#info':
      return { kind: 'info', name: evt.name, message: evt.message };
    case '#identity':
      return { kind: 'identity', seq: evt.seq, did: evt.did, time: evt.time, handle: evt.handle };
    case '#account':
      return { kind: 'account', seq: evt.seq, did: evt.did, time: evt.time, active: evt.active, status: evt.status };
    case '#sync': {
      const out: FrameResult = { kind: 'sync', seq: evt.seq, did: evt.did, time: evt.time, rev: evt.rev };
      if (options.verify && input.keys !== null) {
        const keys = input.keys.map((k) => keyCache.get(k)).filter((k): k is PublicKey => k !== null);
        out.check = checkOf(verifySyncContent(evt, { keys, strict, now: input.receivedAt }), true);
      }
      return out;
    }
    case '#commit': {
      const base = { kind: 'commit' as const, seq: evt.seq, did: evt.repo, time: evt.time, rev: evt.rev, since: evt.since, commit: evt.commit.toString(), prevData: evt.prevData === null ? null : evt.prevData.toString() };
      if (options.verify && input.keys !== null) {
        const keys = input.keys.map((k) => keyCache.get(k)).filter((k): k is PublicKey => k !== null);
        const content = verifyCommitContent(evt, { keys, strict, now: input.receivedAt, records });
        return { ...base, ops: opResults(content.ops, records, null), check: checkOf(content, content.opsUsable) };
      }
      return { ...base, ops: opResults(opsOf(evt), records, records ? recordsFromBlocks(evt) : null) };
    }
  }
}

/** Decode then process one WebSocket message (a text message is an invalid frame). */
export function processFrameBytes(bytes: Uint8Array | string, input: JobInput, options: JobOptions, keyCache: KeyParseCache): FrameResult {
  let frame: Frame;
  try {
    frame = decodeFrame(bytes, { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
  } catch (err) {
    if (!(err instanceof FrameError)) return { kind: 'invalid', seq: null, reason: `invalid frame: ${message(err)}` };
    return { kind: 'invalid', seq: null, reason: err.message };
  }
  return processFrame(frame, input, options, keyCache);
}
