/**
 * Jetstream's JSON events (see docs/jetstream.md), checked and mapped to the shapes the firehose
 * pipeline produces (src/core/firehose/pipeline.ts), so `firehose tail` filters and renders them
 * the same way.
 *
 * A Jetstream message is `{did, time_us, kind, commit | identity | account}`: one record operation
 * per commit event (`operation` create/update/delete, `collection`, `rkey`, `rev`, and for
 * create/update the `record` as JSON and its `cid`). There is no commit CID, no `since`, no
 * `prev`, no blocks and no signature: nothing can be verified. The stream position is `time_us`
 * (microseconds since the epoch, assigned by the Jetstream instance); outputs carry it as `seq`,
 * which is also the cursor to resume from. Unknown kinds are skipped; unknown fields ignored.
 */
import { parseCid } from '../codec/cid.js';
import type { JsonValue } from '../codec/json.js';
import { collectionMatcher, EVENT_KINDS, type AccountView, type CommitView, type EventKind, type Failure, type IdentityView, type OpRow, type OpSummary } from '../firehose/pipeline.js';
import type { RepoOpAction } from '../firehose/events.js';
import { checkDatetime } from '../syntax/datetime.js';
import { checkDid } from '../syntax/did.js';
import { checkNsid } from '../syntax/nsid.js';
import { checkRecordKey } from '../syntax/recordkey.js';
import { checkTid } from '../syntax/tid.js';

/** A checked Jetstream event. */
export type JetstreamEvent =
  | {
      kind: 'commit';
      did: string;
      timeUs: number;
      rev: string;
      operation: RepoOpAction;
      collection: string;
      rkey: string;
      /** create/update: the record's CID and the record (atproto JSON); null for a delete. */
      cid: string | null;
      record: JsonValue | null;
    }
  | { kind: 'identity'; did: string; timeUs: number; handle: string | null; time: string }
  | { kind: 'account'; did: string; timeUs: number; active: boolean; status: string | null; time: string }
  | { kind: 'unknown'; did: string | null; timeUs: number | null; name: string };

/** A commit as `firehose tail` shows it; Jetstream has no commit CID and no `since`. `seq` is the event's `time_us`: the Jetstream cursor. */
export type JetstreamCommitView = Omit<CommitView, 'since' | 'commit' | 'verified'> & { since: null; commit: null };

/** One record operation (`--ops`), as the pipeline's OpRow without `prev` and `verified`. */
export type JetstreamOpRow = Omit<OpRow, 'prev' | 'verified'>;

export type JetstreamEventView = JetstreamCommitView | IdentityView | AccountView;

export type JetstreamOutput =
  | { kind: 'event'; value: JetstreamEventView }
  | { kind: 'op'; value: JetstreamOpRow }
  | { kind: 'failure'; value: Failure };

/** A Jetstream message that cannot be used. */
export class JetstreamMessageError extends Error {
  constructor(
    message: string,
    readonly did: string | null,
    readonly timeUs: number | null,
    readonly eventKind: 'commit' | 'identity' | 'account' | null,
  ) {
    super(`invalid Jetstream message${timeUs !== null ? ` (time_us ${timeUs})` : ''}: ${message}`);
    this.name = 'JetstreamMessageError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

const KINDS = new Set(['commit', 'identity', 'account']);
const OPERATIONS = new Set<string>(['create', 'update', 'delete']);

/** Check one decoded Jetstream message. Throws {@link JetstreamMessageError}. */
export function parseJetstreamEvent(msg: unknown): JetstreamEvent {
  if (!isObject(msg)) throw new JetstreamMessageError(`the message is ${describe(msg)}, not an object`, null, null, null);
  const rawDid = msg.did;
  const rawTime = msg.time_us;
  const kindName = typeof msg.kind === 'string' ? msg.kind : null;
  const eventKind = kindName !== null && KINDS.has(kindName) ? (kindName as 'commit' | 'identity' | 'account') : null;
  const did0 = typeof rawDid === 'string' && rawDid.length <= 2048 ? rawDid : null;
  const time0 = typeof rawTime === 'number' && Number.isSafeInteger(rawTime) && rawTime > 0 ? rawTime : null;
  const fail = (message: string): never => {
    throw new JetstreamMessageError(message, did0, time0, eventKind);
  };
  if (typeof rawTime !== 'number' || !Number.isSafeInteger(rawTime) || rawTime <= 0) fail(`"time_us" is ${describe(rawTime)}, not a positive integer`);
  const timeUs = rawTime as number;
  if (kindName === null) fail(`"kind" is ${describe(msg.kind)}, not a string`);
  if (eventKind === null) return { kind: 'unknown', did: did0, timeUs, name: (kindName as string).slice(0, 64) };
  if (typeof rawDid !== 'string') fail(`"did" is ${describe(rawDid)}, not a string`);
  const didProblem = checkDid(rawDid as string);
  if (didProblem !== null) fail(`"did" is not a valid DID: ${didProblem}`);
  const did = rawDid as string;

  const body = msg[eventKind as string];
  if (!isObject(body)) fail(`"${eventKind}" is ${describe(body)}, not an object`);
  const b = body as Record<string, unknown>;
  const str = (name: string): string => {
    const v = b[name];
    if (typeof v !== 'string') fail(`"${eventKind}.${name}" is ${describe(v)}, not a string`);
    return v as string;
  };
  const optStr = (name: string): string | null => (b[name] === undefined || b[name] === null ? null : str(name));
  const datetime = (name: string): string => {
    const v = str(name);
    const problem = checkDatetime(v);
    if (problem !== null) fail(`"${eventKind}.${name}" is not a valid datetime: ${problem}`);
    return v;
  };
  const sameDid = (): void => {
    if (b.did !== undefined && b.did !== did) fail(`"${eventKind}.did" ${describe(b.did)} differs from "did" ${did}`);
  };

  switch (eventKind) {
    case 'commit': {
      const operation = str('operation');
      if (!OPERATIONS.has(operation)) fail(`unknown operation ${JSON.stringify(operation.slice(0, 40))}`);
      const rev = str('rev');
      const revProblem = checkTid(rev);
      if (revProblem !== null) fail(`"commit.rev" is not a valid TID: ${revProblem}`);
      const collection = str('collection');
      const nsidProblem = checkNsid(collection);
      if (nsidProblem !== null) fail(`"commit.collection" is not a valid NSID: ${nsidProblem}`);
      const rkey = str('rkey');
      const rkeyProblem = checkRecordKey(rkey);
      if (rkeyProblem !== null) fail(`"commit.rkey" is not a valid record key: ${rkeyProblem}`);
      let cid: string | null = null;
      let record: JsonValue | null = null;
      if (operation !== 'delete') {
        cid = str('cid');
        try {
          parseCid(cid);
        } catch (err) {
          fail(`"commit.cid" is not a valid CID: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (!isObject(b.record)) fail(`"commit.record" is ${describe(b.record)}, not an object (a ${operation} carries the record)`);
        record = b.record as JsonValue;
      }
      return { kind: 'commit', did, timeUs, rev, operation: operation as RepoOpAction, collection, rkey, cid, record };
    }
    case 'identity':
      sameDid();
      return { kind: 'identity', did, timeUs, handle: optStr('handle'), time: datetime('time') };
    case 'account': {
      sameDid();
      const active = b.active;
      if (typeof active !== 'boolean') fail(`"account.active" is ${describe(active)}, not a boolean`);
      return { kind: 'account', did, timeUs, active: active as boolean, status: optStr('status'), time: datetime('time') };
    }
  }
  throw new Error('unreachable');
}

/** `time_us` as an ISO 8601 datetime (millisecond precision). */
export function timeUsToIso(timeUs: number): string {
  return new Date(Math.floor(timeUs / 1000)).toISOString();
}

export interface JetstreamFilterOptions {
  /** Collections (`app.bsky.feed.post`, `app.bsky.feed.*`, `*`); with no `events`, only commits are shown. */
  collections?: readonly string[];
  dids?: readonly string[];
  /** Event kinds to show (`sync` and `info` never occur on Jetstream). */
  events?: readonly EventKind[];
  /** One output per record operation, with the record. */
  ops?: boolean;
}

export interface JetstreamStats {
  /** Messages handed to {@link JetstreamMapper.process}. */
  messages: number;
  /** Events of a known kind, shown or not. */
  events: number;
  shown: number;
  failures: number;
  /** Unknown kinds skipped. */
  skipped: number;
  /** Repeats of an event already processed (after a reconnect), dropped. */
  duplicates: number;
  lastTimeUs: number | null;
}

/** The identity of an event, to recognise its repeat when a reconnect resumes at its microsecond. */
function eventKey(e: Exclude<JetstreamEvent, { kind: 'unknown' }>): string {
  switch (e.kind) {
    case 'commit':
      return `c ${e.did} ${e.rev} ${e.operation} ${e.collection}/${e.rkey}`;
    case 'identity':
      return `i ${e.did} ${e.time} ${e.handle ?? ''}`;
    case 'account':
      return `a ${e.did} ${e.time} ${e.active} ${e.status ?? ''}`;
  }
}

/** At most this many events are remembered per microsecond (more is not seen in practice). */
const MAX_KEYS_PER_TICK = 10_000;

/**
 * Jetstream messages → firehose-shaped outputs, with the firehose filters. Jetstream resends
 * the events at the resume cursor's microsecond; the events already processed at the last
 * microsecond are recognised and dropped, so a reconnect shows nothing twice within one run.
 */
export class JetstreamMapper {
  readonly stats: JetstreamStats = { messages: 0, events: 0, shown: 0, failures: 0, skipped: 0, duplicates: 0, lastTimeUs: null };
  private readonly dids: Set<string> | null;
  private readonly shownKinds: Set<EventKind>;
  private readonly matchCollection: ((collection: string) => boolean) | null;
  private tickKeys = new Set<string>();

  constructor(private readonly options: JetstreamFilterOptions = {}) {
    this.dids = options.dids && options.dids.length > 0 ? new Set(options.dids) : null;
    this.matchCollection = collectionMatcher(options.collections);
    this.shownKinds = new Set(options.events && options.events.length > 0 ? options.events : this.matchCollection ? ['commit'] : EVENT_KINDS);
  }

  private failure(err: JetstreamMessageError): JetstreamOutput[] {
    if (err.eventKind !== null && !this.shownKinds.has(err.eventKind)) return [];
    if (this.dids && err.did !== null && !this.dids.has(err.did)) return [];
    this.stats.failures++;
    return [{ kind: 'failure', value: { seq: err.timeUs, did: err.did, type: err.eventKind, ok: false, reasons: [err.message] } }];
  }

  /** A message that could not be decoded (not JSON, bad compression): a failure naming no event. */
  undecodable(reason: string, timeUs: number | null = null): JetstreamOutput[] {
    this.stats.messages++;
    this.stats.failures++;
    return [{ kind: 'failure', value: { seq: timeUs, did: null, type: null, ok: false, reasons: [reason] } }];
  }

  /** Process one decoded message (parsed JSON); returns what to show, in order. */
  process(msg: unknown): JetstreamOutput[] {
    this.stats.messages++;
    let evt: JetstreamEvent;
    try {
      evt = parseJetstreamEvent(msg);
    } catch (err) {
      if (!(err instanceof JetstreamMessageError)) throw err;
      if (err.eventKind !== null) this.stats.events++;
      return this.failure(err);
    }
    if (evt.kind === 'unknown') {
      this.stats.skipped++;
      return [];
    }
    const key = eventKey(evt);
    if (this.stats.lastTimeUs !== null && evt.timeUs <= this.stats.lastTimeUs) {
      if (evt.timeUs < this.stats.lastTimeUs || this.tickKeys.has(key)) {
        this.stats.duplicates++;
        return [];
      }
    } else {
      this.stats.lastTimeUs = evt.timeUs;
      this.tickKeys = new Set();
    }
    if (this.tickKeys.size < MAX_KEYS_PER_TICK) this.tickKeys.add(key);
    this.stats.events++;
    const out = this.outputs(evt);
    if (out.length > 0) this.stats.shown++;
    return out;
  }

  private outputs(evt: Exclude<JetstreamEvent, { kind: 'unknown' }>): JetstreamOutput[] {
    if (this.dids && !this.dids.has(evt.did)) return [];
    if (!this.shownKinds.has(evt.kind)) return [];
    switch (evt.kind) {
      case 'identity':
        return [{ kind: 'event', value: { seq: evt.timeUs, type: 'identity', did: evt.did, time: evt.time, handle: evt.handle } }];
      case 'account':
        return [{ kind: 'event', value: { seq: evt.timeUs, type: 'account', did: evt.did, time: evt.time, active: evt.active, status: evt.status } }];
      case 'commit': {
        if (this.matchCollection && !this.matchCollection(evt.collection)) return [];
        const time = timeUsToIso(evt.timeUs);
        if (this.options.ops) {
          const row: JetstreamOpRow = {
            seq: evt.timeUs,
            type: 'commit',
            did: evt.did,
            time,
            rev: evt.rev,
            op: evt.operation,
            collection: evt.collection,
            rkey: evt.rkey,
            cid: evt.cid,
            record: evt.record,
          };
          return [{ kind: 'op', value: row }];
        }
        const op: OpSummary = { op: evt.operation, collection: evt.collection, rkey: evt.rkey, cid: evt.cid };
        return [{ kind: 'event', value: { seq: evt.timeUs, type: 'commit', did: evt.did, time, rev: evt.rev, since: null, commit: null, ops: [op] } }];
      }
    }
  }
}
