/**
 * Typed `com.atproto.sync.subscribeRepos` events (spec:sync "Repository Event Stream"; lexicon
 * `com.atproto.sync.subscribeRepos`; invariants §2.B–2.C, F6, F10, F15, E9, E11, E16, E17, E24).
 *
 * `parseEvent` checks types and the hard limits, and throws {@link EventError} (carrying `seq` and
 * the DID when they could be read) for an event that cannot be used: a missing or mistyped
 * required field, a `seq` that is not a positive integer below 2^53, a DID or TID with bad syntax,
 * `blocks` over 2,000,000 bytes (10,000 for `#sync`), more than 200 ops. Softer problems (a bad
 * `time`, an absent deprecated field, a `$type` in the payload) become `warnings`. Unknown fields
 * are ignored. Op *shapes* (create/update/delete vs cid/prev, duplicate paths, path syntax) are
 * checked separately by {@link checkCommitOps}, so a verifier can report them as reasons.
 * Byte fields (`blocks`) are views into the frame buffer.
 */
import { Cid } from '../codec/cid.js';
import type { CborMap, CborValue } from '../codec/cbor.js';
import { AtcliError } from '../errors.js';
import { checkDatetime } from '../syntax/datetime.js';
import { checkDid } from '../syntax/did.js';
import { checkHandle } from '../syntax/handle.js';
import { checkNsid } from '../syntax/nsid.js';
import { checkRecordKey } from '../syntax/recordkey.js';
import { checkTid } from '../syntax/tid.js';
import { MAX_MST_KEY_BYTES } from '../repo/mst.js';
import type { FirehoseEventType } from './frame.js';

export const MAX_COMMIT_BLOCKS_BYTES = 2_000_000;
export const MAX_COMMIT_OPS = 200;
export const MAX_SYNC_BLOCKS_BYTES = 10_000;
export const MAX_RECORD_BYTES = 1_000_000;
/** seq must be below 2^53 (spec:event-stream). */
export const MAX_SEQ_EXCLUSIVE = 2 ** 53;

export const REPO_OP_ACTIONS = ['create', 'update', 'delete'] as const;
export type RepoOpAction = (typeof REPO_OP_ACTIONS)[number];

/** Account statuses named by the spec/lexicon; the set is open (others are accepted as-is). */
export const KNOWN_ACCOUNT_STATUSES = ['takendown', 'suspended', 'deleted', 'deactivated', 'desynchronized', 'throttled'] as const;

export interface RepoOp {
  /** Normally one of {@link REPO_OP_ACTIONS}; anything else is reported by {@link checkCommitOps}. */
  action: string;
  path: string;
  /** New record CID; null for a delete. */
  cid: Cid | null;
  /** Previous record CID (update, delete); null when absent. */
  prev: Cid | null;
}

interface EventBase {
  /** Non-fatal problems found while parsing. */
  warnings: string[];
}

export interface CommitEvent extends EventBase {
  type: '#commit';
  seq: number;
  repo: string;
  commit: Cid;
  rev: string;
  since: string | null;
  /** CAR slice (view into the frame). */
  blocks: Uint8Array;
  ops: RepoOp[];
  /** MST root of the previous commit (sync 1.1); null on legacy events. */
  prevData: Cid | null;
  time: string;
  tooBig: boolean;
  rebase: boolean;
}

export interface SyncEvent extends EventBase {
  type: '#sync';
  seq: number;
  did: string;
  /** CAR holding the commit block only. */
  blocks: Uint8Array;
  rev: string;
  time: string;
}

export interface IdentityEvent extends EventBase {
  type: '#identity';
  seq: number;
  did: string;
  time: string;
  /** A hint only, never trusted (may be `handle.invalid`). */
  handle: string | null;
}

export interface AccountEvent extends EventBase {
  type: '#account';
  seq: number;
  did: string;
  time: string;
  active: boolean;
  /** Open set: unknown statuses are kept; visibility follows `active`. */
  status: string | null;
}

export interface InfoEvent extends EventBase {
  type: '#info';
  name: string;
  message: string | null;
}

export type FirehoseEvent = CommitEvent | SyncEvent | IdentityEvent | AccountEvent | InfoEvent;
export type SequencedEvent = CommitEvent | SyncEvent | IdentityEvent | AccountEvent;

/** An event that cannot be used; the stream can go on. */
export class EventError extends AtcliError {
  readonly eventType: string;
  readonly seq: number | null;
  readonly did: string | null;
  constructor(eventType: string, message: string, seq: number | null, did: string | null) {
    super('invalid', 'InvalidEvent', `invalid ${eventType} event${seq !== null ? ` (seq ${seq})` : ''}: ${message}`, {
      details: { type: eventType, seq, did },
    });
    this.name = 'EventError';
    this.eventType = eventType;
    this.seq = seq;
    this.did = did;
  }
}

function describe(v: CborValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Cid) return 'a link';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'bigint') return `the integer ${v}`;
  return typeof v === 'object' ? 'a map' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

/** What a data-model value is, for messages ("missing", "bytes", "a map", "string \"x\""…). */
export { describe as describeCborValue };

/** Field reader that remembers seq/did for error messages. */
class Reader {
  readonly type: string;
  readonly body: CborMap;
  seq: number | null = null;
  did: string | null = null;
  readonly warnings: string[] = [];

  constructor(type: string, body: CborMap) {
    this.type = type;
    this.body = body;
    // The DID is read leniently first so that every error can name the account.
    const d = body.repo ?? body.did;
    if (typeof d === 'string' && d.length <= 2048) this.did = d;
    if (body.$type !== undefined) this.warnings.push('the payload carries a "$type" field (the header already names the type)');
  }

  fail(message: string): never {
    throw new EventError(this.type, message, this.seq, this.did);
  }

  seqField(): number {
    const v = this.body.seq;
    if (typeof v === 'bigint') this.fail(`"seq" ${v} is not below 2^53`);
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`"seq" is ${describe(v)}, not an integer`);
    if (v < 1) this.fail(`"seq" ${v} is not positive`);
    if (v >= MAX_SEQ_EXCLUSIVE) this.fail(`"seq" ${v} is not below 2^53`);
    this.seq = v;
    return v;
  }

  string(name: string): string {
    const v = this.body[name];
    if (typeof v !== 'string') this.fail(`"${name}" is ${describe(v)}, not a string`);
    return v;
  }

  optString(name: string): string | null {
    const v = this.body[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(`"${name}" is ${describe(v)}, not a string`);
    return v;
  }

  didField(name: string): string {
    const v = this.string(name);
    const reason = checkDid(v);
    if (reason !== null) this.fail(`"${name}" is not a valid DID: ${reason}`);
    this.did = v;
    return v;
  }

  tid(name: string): string {
    const v = this.string(name);
    const reason = checkTid(v);
    if (reason !== null) this.fail(`"${name}" "${v}" is not a valid TID: ${reason}`);
    return v;
  }

  time(): string {
    const v = this.string('time');
    const reason = checkDatetime(v);
    if (reason !== null) this.warnings.push(`"time" "${v.slice(0, 64)}" is not a valid datetime: ${reason}`);
    return v;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.body[name];
    if (v === undefined && fallback !== undefined) {
      this.warnings.push(`"${name}" is missing (required by the lexicon)`);
      return fallback;
    }
    if (typeof v !== 'boolean') this.fail(`"${name}" is ${describe(v)}, not a boolean`);
    return v;
  }

  link(name: string): Cid {
    const v = this.body[name];
    if (!(v instanceof Cid)) this.fail(`"${name}" is ${describe(v)}, not a link`);
    return v;
  }

  bytes(name: string, max: number): Uint8Array {
    const v = this.body[name];
    if (!(v instanceof Uint8Array)) this.fail(`"${name}" is ${describe(v)}, not bytes`);
    if (v.length > max) this.fail(`"${name}" is ${v.length} bytes, over the ${max}-byte limit`);
    return v;
  }
}

function parseOps(r: Reader): RepoOp[] {
  const raw = r.body.ops;
  if (!Array.isArray(raw)) r.fail(`"ops" is ${describe(raw)}, not an array`);
  if (raw.length > MAX_COMMIT_OPS) r.fail(`${raw.length} ops, over the limit of ${MAX_COMMIT_OPS}`);
  const ops: RepoOp[] = [];
  for (let i = 0; i < raw.length; i++) {
    const o = raw[i] as CborValue;
    if (o === null || typeof o !== 'object' || Array.isArray(o) || o instanceof Uint8Array || o instanceof Cid) {
      r.fail(`op ${i} is ${describe(o)}, not a map`);
    }
    const { action, path, cid, prev } = o;
    if (typeof action !== 'string') r.fail(`op ${i} "action" is ${describe(action)}, not a string`);
    if (typeof path !== 'string') r.fail(`op ${i} "path" is ${describe(path)}, not a string`);
    if (cid !== undefined && cid !== null && !(cid instanceof Cid)) r.fail(`op ${i} (${path}) "cid" is ${describe(cid)}, not a link or null`);
    if (prev !== undefined && prev !== null && !(prev instanceof Cid)) r.fail(`op ${i} (${path}) "prev" is ${describe(prev)}, not a link`);
    if (cid === undefined) r.warnings.push(`op ${i} (${path}) has no "cid" key (required, null for a delete)`);
    if (prev === null) r.warnings.push(`op ${i} (${path}) has "prev": null (the field is optional, not nullable)`);
    ops.push({ action, path, cid: cid ?? null, prev: prev ?? null });
  }
  return ops;
}

export function parseCommitEvent(body: CborMap): CommitEvent {
  const r = new Reader('#commit', body);
  const seq = r.seqField();
  const repo = r.didField('repo');
  const commit = r.link('commit');
  const rev = r.tid('rev');
  let since: string | null = null;
  if (body.since === undefined) r.warnings.push('"since" is missing (required by the lexicon, nullable)');
  else {
    since = r.optString('since');
    if (since !== null && checkTid(since) !== null) r.warnings.push(`"since" "${since.slice(0, 40)}" is not a valid TID`);
  }
  const blocks = r.bytes('blocks', MAX_COMMIT_BLOCKS_BYTES);
  const ops = parseOps(r);
  let prevData: Cid | null = null;
  if (body.prevData !== undefined && body.prevData !== null) prevData = r.link('prevData');
  else if (body.prevData === null) r.warnings.push('"prevData" is null (the field is optional, not nullable)');
  const time = r.time();
  const tooBig = r.bool('tooBig', false);
  const rebase = r.bool('rebase', false);
  return { type: '#commit', seq, repo, commit, rev, since, blocks, ops, prevData, time, tooBig, rebase, warnings: r.warnings };
}

export function parseSyncEvent(body: CborMap): SyncEvent {
  const r = new Reader('#sync', body);
  const seq = r.seqField();
  const did = r.didField('did');
  const blocks = r.bytes('blocks', MAX_SYNC_BLOCKS_BYTES);
  const rev = r.tid('rev');
  const time = r.time();
  return { type: '#sync', seq, did, blocks, rev, time, warnings: r.warnings };
}

export function parseIdentityEvent(body: CborMap): IdentityEvent {
  const r = new Reader('#identity', body);
  const seq = r.seqField();
  const did = r.didField('did');
  const time = r.time();
  const handle = r.optString('handle');
  if (handle !== null && handle !== 'handle.invalid') {
    const reason = checkHandle(handle);
    if (reason !== null) r.warnings.push(`"handle" "${handle.slice(0, 64)}" is not a valid handle: ${reason}`);
  }
  return { type: '#identity', seq, did, time, handle, warnings: r.warnings };
}

export function parseAccountEvent(body: CborMap): AccountEvent {
  const r = new Reader('#account', body);
  const seq = r.seqField();
  const did = r.didField('did');
  const time = r.time();
  const active = r.bool('active');
  const status = r.optString('status');
  if (status !== null && !(KNOWN_ACCOUNT_STATUSES as readonly string[]).includes(status)) {
    r.warnings.push(`unknown account status "${status.slice(0, 64)}" (accepted; visibility follows "active")`);
  }
  return { type: '#account', seq, did, time, active, status, warnings: r.warnings };
}

export function parseInfoEvent(body: CborMap): InfoEvent {
  const r = new Reader('#info', body);
  const name = r.string('name');
  const message = r.optString('message');
  return { type: '#info', name, message, warnings: r.warnings };
}

/** Parse the body of a `kind: 'message'` frame. Throws {@link EventError}. */
export function parseEvent(type: FirehoseEventType, body: CborMap): FirehoseEvent {
  switch (type) {
    case '#commit':
      return parseCommitEvent(body);
    case '#sync':
      return parseSyncEvent(body);
    case '#identity':
      return parseIdentityEvent(body);
    case '#account':
      return parseAccountEvent(body);
    case '#info':
      return parseInfoEvent(body);
    default: {
      const never: never = type;
      throw new EventError(String(never), 'unknown event type', null, null);
    }
  }
}

// =============================================================================================
// Op shapes (F15, E16, E17)

/** `collection/rkey` → parts, or a reason. With `validate: false` only the generic MST key rules apply. */
export function splitRepoPath(path: string, validate = true): { collection: string; rkey: string } | { problem: string } {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes === 0) return { problem: 'empty path' };
  if (bytes > MAX_MST_KEY_BYTES) return { problem: `path is ${bytes} bytes (at most ${MAX_MST_KEY_BYTES})` };
  const slash = path.indexOf('/');
  const collection = slash < 0 ? path : path.slice(0, slash);
  const rkey = slash < 0 ? '' : path.slice(slash + 1);
  if (!validate) return { collection, rkey };
  if (slash < 0 || rkey.includes('/')) return { problem: 'path is not <collection>/<rkey>' };
  const nsid = checkNsid(collection);
  if (nsid !== null) return { problem: `collection is not a valid NSID: ${nsid}` };
  const rk = checkRecordKey(rkey);
  if (rk !== null) return { problem: `rkey is not valid: ${rk}` };
  return { collection, rkey };
}

export interface CheckOpsOptions {
  /** Check paths as `<NSID>/<rkey>` (default true); off for generic MST keys (interop fixtures). */
  validatePaths?: boolean;
  /** Missing `prev` on update/delete (pre-sync-1.1) is a problem (default) or only a warning. */
  strict?: boolean;
}

export function opLabel(op: RepoOp): string {
  return `op ${op.action} ${op.path}`;
}

/** Shape problems of an op list; empty when every op is well-formed and paths are unique. */
export function checkCommitOps(ops: readonly RepoOp[], options: CheckOpsOptions = {}): { problems: string[]; warnings: string[] } {
  const validate = options.validatePaths ?? true;
  const strict = options.strict ?? true;
  const problems: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const op of ops) {
    const label = opLabel(op);
    if (seen.has(op.path)) problems.push(`${label}: duplicate path (the path appears more than once in ops)`);
    seen.add(op.path);
    const split = splitRepoPath(op.path, validate);
    if ('problem' in split) problems.push(`${label}: ${split.problem}`);
    const legacy = (what: string): void => {
      const msg = `${label}: no prev (pre-sync-1.1 ${what}; cannot be inverted)`;
      (strict ? problems : warnings).push(msg);
    };
    switch (op.action) {
      case 'create':
        if (op.cid === null) problems.push(`${label}: cid is null (a create needs the new record's cid)`);
        if (op.prev !== null) problems.push(`${label}: has prev ${op.prev.toString()} (a create has none)`);
        break;
      case 'update':
        if (op.cid === null) problems.push(`${label}: cid is null (an update needs the new record's cid)`);
        if (op.prev === null) legacy('update');
        else if (op.cid !== null && op.cid.equals(op.prev)) problems.push(`${label}: cid equals prev ${op.prev.toString()} (not an update)`);
        break;
      case 'delete':
        if (op.cid !== null) problems.push(`${label}: cid is set to ${op.cid.toString()} (a delete has cid null)`);
        if (op.prev === null) legacy('delete');
        break;
      default:
        problems.push(`${label}: unknown action "${op.action.slice(0, 40)}"`);
    }
  }
  return { problems, warnings };
}
