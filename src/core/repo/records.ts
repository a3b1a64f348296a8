/**
 * Record operations over XRPC (com.atproto.repo.* and com.atproto.sync.getRecord): listing with
 * cursors, collections, reading a record together with its signed inclusion proof, writes with
 * compare-and-swap, and the local checks a record body passes before it is sent.
 */
import { cborToJson, cidForCbor, encodeCbor, jsonToCbor, parseCid, parseJsonRecord, type Cid, type CborMap, type JsonObject } from '../codec/index.js';
import type { PublicKey } from '../crypto/index.js';
import { invalid, isAtcliError, notFound, runtime, usage } from '../errors.js';
import { checkNsid, checkRecordKey, parseAtUri } from '../syntax/index.js';
import { XrpcError, type XrpcClient } from '../xrpc/index.js';
import { verifyRecordProof, type ProofCheck, type RecordProofResult } from './proof.js';

/** Largest record body accepted from a file (the PDS limit is 1 MiB of CBOR; JSON is larger). */
export const MAX_RECORD_JSON_BYTES = 4 * 1024 * 1024;
/** Largest proof CAR accepted from com.atproto.sync.getRecord. */
export const MAX_PROOF_CAR_BYTES = 8 * 1024 * 1024;

export interface RecordRef {
  did: string;
  collection: string;
  rkey: string;
}

export function recordUri(ref: RecordRef): string {
  return `at://${ref.did}/${ref.collection}/${ref.rkey}`;
}

// ---------------------------------------------------------------------------------------------
// Listing

export interface ListedRecord {
  collection: string;
  rkey: string;
  cid: string;
  uri: string;
  value: unknown;
}

export interface ListRecordsPage {
  collection: string;
  /** 1-based page number within the collection. */
  page: number;
  records: number;
  cursor: string | undefined;
}

export interface ListRecordsOptions {
  /** Stop after this many records. */
  limit?: number;
  /** Records per request (1–100, default 100). */
  pageSize?: number;
  /** Called as each page arrives, before its records are yielded. */
  onPage?: (page: ListRecordsPage) => void;
}

interface ListRecordsResponse {
  cursor?: unknown;
  records?: unknown;
}

function bad(nsid: string, what: string): never {
  throw runtime('InvalidResponse', `${nsid}: the server's answer ${what}`);
}

/**
 * Pages through `com.atproto.repo.listRecords` for one collection, yielding records as pages
 * arrive (the caller's `for await` gives back-pressure: the next page is requested only when
 * the previous one has been consumed).
 */
export async function* listRecords(client: XrpcClient, did: string, collection: string, opts: ListRecordsOptions = {}): AsyncGenerator<ListedRecord, void, undefined> {
  const nsid = 'com.atproto.repo.listRecords';
  const pageSize = Math.max(1, Math.min(100, opts.pageSize ?? 100));
  let remaining = opts.limit ?? Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  const seenCursors = new Set<string>();
  for (let page = 1; remaining > 0; page++) {
    const res = await client.query<ListRecordsResponse>(nsid, { repo: did, collection, limit: Math.min(pageSize, remaining), ...(cursor === undefined ? {} : { cursor }) });
    if (typeof res !== 'object' || res === null || !Array.isArray(res.records)) bad(nsid, 'has no "records" array');
    const next = typeof res.cursor === 'string' && res.cursor !== '' ? res.cursor : undefined;
    opts.onPage?.({ collection, page, records: res.records.length, cursor: next });
    for (const raw of res.records as unknown[]) {
      if (remaining <= 0) return;
      const r = raw as { uri?: unknown; cid?: unknown; value?: unknown };
      if (typeof r !== 'object' || r === null || typeof r.uri !== 'string' || typeof r.cid !== 'string') bad(nsid, 'has a record without "uri" and "cid"');
      let rkey: string | undefined;
      let got: string | undefined;
      try {
        const parsed = parseAtUri(r.uri);
        rkey = parsed.rkey;
        got = parsed.collection;
      } catch {
        bad(nsid, `has a record with an invalid URI ${JSON.stringify(r.uri.slice(0, 200))}`);
      }
      if (rkey === undefined || got !== collection) bad(nsid, `lists ${JSON.stringify(r.uri.slice(0, 200))}, which is not a record of ${collection}`);
      remaining--;
      yield { collection, rkey, cid: r.cid, uri: r.uri, value: r.value };
    }
    if (next === undefined || res.records.length === 0) return;
    if (seenCursors.has(next)) throw runtime('InvalidResponse', `${nsid}: the server returned the cursor ${JSON.stringify(next.slice(0, 100))} twice (it would never finish)`);
    seenCursors.add(next);
    cursor = next;
  }
}

/** The collections of a repository (`com.atproto.repo.describeRepo`). */
export async function listCollections(client: XrpcClient, did: string): Promise<string[]> {
  const nsid = 'com.atproto.repo.describeRepo';
  const res = await client.query<{ collections?: unknown }>(nsid, { repo: did });
  if (typeof res !== 'object' || res === null || !Array.isArray(res.collections) || !res.collections.every((c) => typeof c === 'string')) {
    bad(nsid, 'has no "collections" list of strings');
  }
  return res.collections as string[];
}

export interface ListAccountRecordsOptions extends Omit<ListRecordsOptions, 'limit'> {
  /** Only these collections, in this order (default: every collection the repository has). */
  collections?: readonly string[];
  /** Stop after this many records in all. */
  limit?: number;
}

/**
 * The records of several collections (or of all, from describeRepo) one collection after the
 * other, stopping after `limit` records in all. `collections` on the result is the list walked.
 */
export async function listAccountRecords(
  client: XrpcClient,
  did: string,
  opts: ListAccountRecordsOptions = {},
): Promise<{ collections: string[]; records: AsyncGenerator<ListedRecord, void, undefined> }> {
  const collections = opts.collections && opts.collections.length > 0 ? [...new Set(opts.collections)] : await listCollections(client, did);
  const { limit, collections: _given, ...pageOpts } = opts;
  async function* records(): AsyncGenerator<ListedRecord, void, undefined> {
    let count = 0;
    for (const collection of collections) {
      const remaining = limit === undefined ? undefined : limit - count;
      if (remaining !== undefined && remaining <= 0) return;
      for await (const r of listRecords(client, did, collection, { ...pageOpts, ...(remaining === undefined ? {} : { limit: remaining }) })) {
        count++;
        yield r;
      }
    }
  }
  return { collections, records: records() };
}

// ---------------------------------------------------------------------------------------------
// Reading, with the proof

export interface FetchedRecord {
  uri: string;
  cid: string;
  value: unknown;
}

/** What a not-found error carries about the record, for callers that suggest where to look. */
function refDetails(ref: RecordRef): Record<string, unknown> {
  return { did: ref.did, collection: ref.collection, rkey: ref.rkey };
}

/** `com.atproto.repo.getRecord`; a missing record is notFound (exit 4) with a hint. */
export async function getRecord(client: XrpcClient, ref: RecordRef, opts: { cid?: string } = {}): Promise<FetchedRecord> {
  const nsid = 'com.atproto.repo.getRecord';
  let res: { uri?: unknown; cid?: unknown; value?: unknown };
  try {
    res = await client.query(nsid, { repo: ref.did, collection: ref.collection, rkey: ref.rkey, ...(opts.cid === undefined ? {} : { cid: opts.cid }) });
  } catch (err) {
    if (isAtcliError(err) && err.kind === 'notFound') {
      const what = err instanceof XrpcError && err.xrpcError === 'RepoNotFound' ? `no repository ${ref.did} on ${client.service}` : `no record ${recordUri(ref)}${opts.cid ? ` with CID ${opts.cid}` : ''} on ${client.service}`;
      throw notFound(err.code === 'NotFound' ? 'RecordNotFound' : err.code, `${what} (${err.code})`, { details: refDetails(ref), cause: err });
    }
    throw err;
  }
  if (typeof res !== 'object' || res === null || typeof res.uri !== 'string' || res.value === undefined) bad(nsid, 'has no "uri" and "value"');
  if (typeof res.cid !== 'string') bad(nsid, 'has no "cid" (the record cannot be checked against a proof without it)');
  return { uri: res.uri, cid: res.cid, value: res.value };
}

export interface RecordProofReport extends RecordProofResult {
  signingKey: string;
}

/**
 * Fetches the signed proof for a record (`com.atproto.sync.getRecord`) and checks it. With
 * `resolveKey`, a failed signature is retried once with a freshly resolved key (it may have
 * rotated since it was cached).
 */
export async function fetchRecordProof(
  client: XrpcClient,
  ref: RecordRef,
  keys: { key: PublicKey; fresh?: () => Promise<PublicKey | undefined> },
): Promise<RecordProofReport> {
  const nsid = 'com.atproto.sync.getRecord';
  let body: Uint8Array;
  try {
    body = (await client.queryBytes(nsid, { did: ref.did, collection: ref.collection, rkey: ref.rkey }, { maxBytes: MAX_PROOF_CAR_BYTES })).body;
  } catch (err) {
    if (isAtcliError(err) && err.kind === 'notFound') {
      throw notFound(err.code === 'NotFound' ? 'RecordNotFound' : err.code, `${client.service} serves no proof for ${recordUri(ref)} (${err.code})`, { details: refDetails(ref), cause: err });
    }
    throw err;
  }
  let key = keys.key;
  let result = verifyRecordProof(body, { ...ref, key });
  const sigFailed = result.checks.some((c) => c.name === 'signature' && !c.ok);
  if (sigFailed && keys.fresh) {
    const fresh = await keys.fresh().catch(() => undefined);
    if (fresh && fresh.did() !== key.did()) {
      key = fresh;
      result = verifyRecordProof(body, { ...ref, key });
    }
  }
  return { ...result, signingKey: key.did() };
}

/** The CID of a record value given in atproto JSON (as getRecord serves it). */
export function cidOfJsonRecord(value: unknown): Cid {
  return cidForCbor(encodeCbor(jsonToCbor(value)));
}

/**
 * Checks that what `com.atproto.repo.getRecord` served is what the proof proves: the CID it
 * named, and the CID of the value itself.
 */
export function checkServedRecord(served: FetchedRecord, proof: RecordProofResult): ProofCheck {
  const name = 'served record';
  if (proof.cid === null) {
    return { name, ok: false, detail: proof.present === false ? `the PDS served ${served.cid}, but its proof shows the record is absent` : 'the proof does not establish a CID to compare with' };
  }
  if (served.cid !== proof.cid) return { name, ok: false, detail: `getRecord named CID ${served.cid}, the proof holds ${proof.cid}` };
  let actual: string;
  try {
    actual = cidOfJsonRecord(served.value).toString();
  } catch (err) {
    return { name, ok: false, detail: `the served value cannot be re-encoded to check its CID: ${isAtcliError(err) ? err.message : String(err)}` };
  }
  if (actual !== proof.cid) return { name, ok: false, detail: `the served value hashes to ${actual}, not to the proven ${proof.cid}` };
  return { name, ok: true, detail: `the served value hashes to the proven CID ${proof.cid}` };
}

// ---------------------------------------------------------------------------------------------
// Record bodies for writes

export interface RecordBody {
  /** The record in the data model. */
  record: CborMap;
  /** The same record in normalised atproto JSON, ready to send. */
  json: JsonObject;
  /** Its CID (what the PDS will report, if it stores it unchanged). */
  cid: Cid;
}

/**
 * Reads a record body for a write: atproto JSON ($link, $bytes, blob objects), integers only,
 * `$type` required and equal to the collection. Problems are usage errors (exit 2): the input is
 * the user's to fix. `source` names the input in messages.
 */
export function parseRecordBody(text: string, collection: string, source: string): RecordBody {
  let record: CborMap;
  try {
    record = parseJsonRecord(text);
  } catch (err) {
    const reason = isAtcliError(err) ? err.message : String(err);
    const json = isAtcliError(err) && err.code === 'InvalidJson';
    throw usage(json ? 'InvalidJson' : 'InvalidRecord', `${source}: ${reason}`, {
      hint: json
        ? 'the record body must be one JSON object, e.g. {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-01-01T00:00:00Z"}'
        : 'records are atproto JSON: integers only (no floats), links as {"$link": "<cid>"}, bytes as {"$bytes": "<base64>"}',
      cause: err,
    });
  }
  const type = record.$type;
  if (type === undefined) {
    throw usage('MissingType', `${source}: the record has no "$type"`, { hint: `add "$type": "${collection}" to the record` });
  }
  if (type !== collection) {
    throw usage('TypeMismatch', `${source}: the record's $type ${JSON.stringify(type)} does not match the collection "${collection}"`, {
      hint: `write it to the collection ${typeof type === 'string' ? `"${type}"` : 'its $type names'}, or set "$type": "${collection}"`,
    });
  }
  return { record, json: cborToJson(record) as JsonObject, cid: cidForCbor(encodeCbor(record)) };
}

export function checkCollection(collection: string): void {
  const reason = checkNsid(collection);
  if (reason) throw usage('InvalidNsid', `"${collection}" is not a collection NSID: ${reason}`, { hint: 'for example app.bsky.feed.post' });
}

export function checkRkey(rkey: string): void {
  const reason = checkRecordKey(rkey);
  if (reason) throw usage('InvalidRecordKey', `"${rkey}" is not a record key: ${reason}`);
}

/** A CID given by the user (a version to read, or to compare and swap); usage 'InvalidCid' when it is not one. */
export function parseCidArgument(value: string): string {
  try {
    return parseCid(value).toString();
  } catch (err) {
    throw usage('InvalidCid', `${JSON.stringify(value.slice(0, 200))} is not a CID: ${isAtcliError(err) ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Writes

export interface WriteResult {
  uri: string;
  cid: string;
}

/** Maps the PDS's answers to a refused write: a failed compare-and-swap, a record its Lexicon rejects. */
function writeError(err: unknown, swap: string | undefined, uri: string | undefined): unknown {
  if (!(err instanceof XrpcError)) return err;
  if (err.xrpcError === 'InvalidSwap') {
    const subject = uri ?? 'the record';
    return invalid('RecordChanged', swap === undefined ? `${subject} changed: ${err.message}` : `the record changed since ${swap}${uri ? ` (${uri})` : ''}`, {
      hint: 'fetch the current version and retry with its CID',
      ...(uri === undefined ? {} : { details: { uri } }),
      cause: err,
    });
  }
  if (err.status === 400 && err.xrpcError === 'InvalidRequest' && /\binvalid\b.*\brecord\b/i.test(err.message)) {
    return invalid('InvalidRecord', err.message, {
      hint: 'fix the record to match its Lexicon (or ask the PDS not to validate it)',
      cause: err,
    });
  }
  return err;
}

function writeResult(nsid: string, res: unknown): WriteResult {
  const r = res as { uri?: unknown; cid?: unknown } | undefined;
  if (typeof r !== 'object' || r === null || typeof r.uri !== 'string' || typeof r.cid !== 'string') bad(nsid, 'has no "uri" and "cid"');
  return { uri: r.uri, cid: r.cid };
}

export async function createRecord(
  client: XrpcClient,
  input: { repo: string; collection: string; record: JsonObject; rkey?: string; validate?: boolean },
): Promise<WriteResult> {
  const nsid = 'com.atproto.repo.createRecord';
  const body = {
    repo: input.repo,
    collection: input.collection,
    record: input.record,
    ...(input.rkey === undefined ? {} : { rkey: input.rkey }),
    ...(input.validate === undefined ? {} : { validate: input.validate }),
  };
  try {
    return writeResult(nsid, await client.procedure(nsid, body));
  } catch (err) {
    throw writeError(err, undefined, input.rkey === undefined ? undefined : recordUri({ did: input.repo, collection: input.collection, rkey: input.rkey }));
  }
}

export async function putRecord(
  client: XrpcClient,
  input: { repo: string; collection: string; rkey: string; record: JsonObject; swapRecord?: string; validate?: boolean },
): Promise<WriteResult> {
  const nsid = 'com.atproto.repo.putRecord';
  const body = {
    repo: input.repo,
    collection: input.collection,
    rkey: input.rkey,
    record: input.record,
    ...(input.swapRecord === undefined ? {} : { swapRecord: input.swapRecord }),
    ...(input.validate === undefined ? {} : { validate: input.validate }),
  };
  try {
    return writeResult(nsid, await client.procedure(nsid, body));
  } catch (err) {
    throw writeError(err, input.swapRecord, recordUri({ did: input.repo, collection: input.collection, rkey: input.rkey }));
  }
}

export async function deleteRecord(client: XrpcClient, input: { repo: string; collection: string; rkey: string; swapRecord?: string }): Promise<{ uri: string; deleted: true }> {
  const nsid = 'com.atproto.repo.deleteRecord';
  const uri = recordUri({ did: input.repo, collection: input.collection, rkey: input.rkey });
  try {
    await client.procedure(nsid, {
      repo: input.repo,
      collection: input.collection,
      rkey: input.rkey,
      ...(input.swapRecord === undefined ? {} : { swapRecord: input.swapRecord }),
    });
  } catch (err) {
    throw writeError(err, input.swapRecord, uri);
  }
  return { uri, deleted: true };
}
