/**
 * Validating records where they live: one record named by an AT-URI, read with its signed
 * inclusion proof, or every record of a repository (a CAR stream, or an account's repository
 * fetched from its PDS), verified with the repository checks of `repo/verify.ts` while its records
 * are validated as they stream past. Schemas come from a {@link SchemaFinder}.
 */
import { decodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { Cid } from '../codec/cid.js';
import { parseDidKey, type PublicKey } from '../crypto/index.js';
import { isAtcliError, notFound } from '../errors.js';
import { resolveIdentity, type IdentityConfig } from '../identity/index.js';
import { CidIndex } from '../repo/cid-index.js';
import type { ProofCheck } from '../repo/proof.js';
import { parseRecordUri, readProvenRecord } from '../repo/proven.js';
import { recordUri } from '../repo/records.js';
import { verifyRepoCar, type RepoVerdict, type RepoVerifyOptions, type VerifyCheck } from '../repo/verify.js';
import { XrpcClient } from '../xrpc/index.js';
import type { SchemaFinder, SchemaLookup, SchemaOrigin } from './schemas.js';
import type { ValidationError } from './types.js';
import { validateRecordData, type ValidateOptions } from './validate.js';

/**
 * valid / invalid: checked against its schema; no-schema: no schema for the record type could be
 * found (not a fault of the record); unchecked: the check could not be completed (the schema or a
 * schema it refers to could not be fetched).
 */
export type RecordStatus = 'valid' | 'invalid' | 'no-schema' | 'unchecked';

/** Errors listed for one record, at most; the rest are counted. */
const MAX_ERRORS_PER_RECORD = 20;

interface Judgement {
  status: RecordStatus;
  schema: SchemaOrigin | null;
  reason: string | null;
  errors: ValidationError[];
}

function isMap(v: CborValue): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

/** Validates decoded record `data` against the schema of `nsid` that `lookup` found. */
function judge(schemas: SchemaFinder, lookup: SchemaLookup, nsid: string, data: CborValue, options: ValidateOptions): Judgement {
  if (!lookup.found) return { status: lookup.unchecked ? 'unchecked' : 'no-schema', schema: null, reason: lookup.reason, errors: [] };
  let errors: ValidationError[];
  try {
    errors = validateRecordData(schemas.catalog, nsid, data, options);
  } catch (err) {
    if (isAtcliError(err) && err.code === 'NotARecordSchema') return { status: 'invalid', schema: lookup.origin, reason: err.message, errors: [{ path: '', message: err.message }] };
    throw err;
  }
  const faults = errors.filter((e) => e.missingSchema === undefined);
  if (faults.length > 0) return { status: 'invalid', schema: lookup.origin, reason: null, errors };
  if (errors.length > 0) {
    const missing = [...new Set(errors.map((e) => e.missingSchema))].join(', ');
    return { status: 'unchecked', schema: lookup.origin, reason: `schemas it refers to are not available: ${missing}`, errors };
  }
  return { status: 'valid', schema: lookup.origin, reason: null, errors: [] };
}

// ---------------------------------------------------------------------------------------------
// One record, by AT-URI

export interface RecordCheckOptions {
  identity: IdentityConfig;
  schemas: SchemaFinder;
  /** Check the proof with this key instead of the one in the account's DID document. */
  key?: PublicKey;
  validate?: ValidateOptions;
}

export interface RecordCheckResult {
  /** at://<did>/<collection>/<rkey> */
  uri: string;
  did: string;
  collection: string;
  rkey: string;
  /** The record's CID as the signed tree holds it (null when the proof could not establish it). */
  cid: string | null;
  status: RecordStatus;
  valid: boolean;
  schema: SchemaOrigin | null;
  /** Why the record is not simply valid or invalid (no schema, a failed look-up, a failed proof). */
  reason: string | null;
  errors: ValidationError[];
  /** Errors beyond those listed. */
  moreErrors: number;
  proof: { valid: boolean; rev: string | null; signingKey: string; checks: ProofCheck[]; errors: string[] };
}

/**
 * Validates the record `uri` names: resolves the account, reads the record from its PDS with its
 * inclusion proof checked against the repository's signed commit (as a verified `record get`
 * does), finds the schema of its collection, validates. A proof that fails makes the result
 * invalid without validating (the data cannot be trusted to be the account's). Throws usage
 * 'InvalidAtUri' for a URI that names no record, notFound 'RecordNotFound' (also when the PDS
 * proves the record absent), and the identity errors of resolving the account.
 */
export async function validateRecordAtUri(uri: string, options: RecordCheckOptions): Promise<RecordCheckResult> {
  const target = parseRecordUri(uri);
  const { ref, proof } = await readProvenRecord(options.identity, target, options.key === undefined ? {} : { key: options.key });
  const base = {
    uri: recordUri(ref),
    did: ref.did,
    collection: ref.collection,
    rkey: ref.rkey,
    cid: proof.cid,
    proof: { valid: proof.valid, rev: proof.commit?.rev ?? null, signingKey: proof.signingKey, checks: proof.checks, errors: proof.errors },
  };
  if (!proof.valid || proof.record === undefined) {
    return { ...base, status: 'invalid', valid: false, schema: null, reason: `the record's proof does not verify: ${proof.errors.join('; ')}`, errors: [], moreErrors: 0 };
  }
  const lookup = await options.schemas.find(ref.collection);
  const j = judge(options.schemas, lookup, ref.collection, proof.record, options.validate ?? {});
  return { ...base, ...j, valid: j.status === 'valid', errors: j.errors.slice(0, MAX_ERRORS_PER_RECORD), moreErrors: Math.max(0, j.errors.length - MAX_ERRORS_PER_RECORD) };
}

// ---------------------------------------------------------------------------------------------
// A whole repository

export interface RepoValidationOptions {
  schemas: SchemaFinder;
  /** How the repository is verified (key or key resolver, expected DID, limits, byte progress). */
  verify?: Omit<RepoVerifyOptions, 'onRecordBlock' | 'onEntry'>;
  validate?: ValidateOptions;
  /** Invalid records listed per collection (default 10); the rest are counted. */
  maxProblemsPerCollection?: number;
  /** Collections listed (default 1000); the rest are summed in `otherCollections`. */
  maxCollections?: number;
}

export interface RecordCounts {
  records: number;
  valid: number;
  invalid: number;
  noSchema: number;
  unchecked: number;
}

export interface RecordProblem {
  uri: string;
  cid: string;
  errors: ValidationError[];
}

export interface CollectionReport extends RecordCounts {
  collection: string;
  schema: SchemaOrigin | null;
  /** Why its records were not validated: no schema, or a look-up that failed. */
  reason: string | null;
  /** The first invalid (or unchecked) records, in key order, with their errors. */
  problems: RecordProblem[];
  moreProblems: number;
}

export interface RepoValidationReport {
  /** invalid: the repository fails a check, or a record fails its schema; unchecked: the repository or some record could not be checked. */
  status: 'valid' | 'invalid' | 'unchecked';
  did: string | null;
  rev: string | null;
  commit: string | null;
  /**
   * The repository checks (`repo verify`). `status` unchecked: a check could not run (the signing
   * key could not be obtained, the download broke off), `reason` says why; the records are still
   * validated, but the verdict cannot be valid.
   */
  repository: { status: RepoVerdict; valid: boolean; reason: string | null; checks: VerifyCheck[]; errors: string[]; warnings: string[] };
  /** False when the repository fails a check: its records are then not reported. */
  recordsValidated: boolean;
  totals: RecordCounts;
  collections: CollectionReport[];
  /** Collections beyond `maxCollections`, summed; null when every collection is listed. */
  otherCollections: (RecordCounts & { collections: number }) | null;
}

const CODE_VALID = 0;
const CODE_INVALID = 1;
const CODE_NO_SCHEMA = 2;
const CODE_UNCHECKED = 3;
const CODE_OF: Record<RecordStatus, number> = { valid: CODE_VALID, invalid: CODE_INVALID, 'no-schema': CODE_NO_SCHEMA, unchecked: CODE_UNCHECKED };

const emptyCounts = (): RecordCounts => ({ records: 0, valid: 0, invalid: 0, noSchema: 0, unchecked: 0 });

function count(c: RecordCounts, code: number): void {
  c.records++;
  if (code === CODE_VALID) c.valid++;
  else if (code === CODE_INVALID) c.invalid++;
  else if (code === CODE_NO_SCHEMA) c.noSchema++;
  else c.unchecked++;
}

/**
 * Verifies a repository CAR and validates every record in it against its schema, streaming: each
 * record block is validated as it arrives and only a small verdict per record is kept (plus the
 * errors of the first few invalid records of each type), so memory does not grow with the
 * records' size. Records are reported per collection once the repository verifies; when it does
 * not, the report says so and lists no record verdicts. Records without a schema count as
 * "no schema", not invalid.
 */
export async function validateRepository(source: AsyncIterable<Uint8Array>, options: RepoValidationOptions): Promise<RepoValidationReport> {
  const { schemas } = options;
  const validateOptions = options.validate ?? {};
  const maxProblems = options.maxProblemsPerCollection ?? 10;
  const maxCollections = options.maxCollections ?? 1000;
  // Errors are kept for at most this many records in all, whatever the number of types.
  const maxStored = Math.max(maxProblems * 100, 1000);

  // Per record block: (type index << 2) | verdict code.
  const verdicts = new CidIndex();
  const typeIndex = new Map<string, number>();
  const types: string[] = [];
  const lookups = new Map<string, SchemaLookup>();
  const stored = new Map<string, ValidationError[]>();
  const storedPerType = new Map<number, number>();

  const onRecordBlock = async (cid: Cid, bytes: Uint8Array): Promise<void> => {
    let data: CborValue;
    try {
      data = decodeCbor(bytes);
    } catch {
      return; // The repository check reports records that do not decode.
    }
    if (!isMap(data) || typeof data.$type !== 'string' || data.$type === '') return;
    const type = data.$type;
    let lookup = lookups.get(type);
    if (lookup === undefined) {
      lookup = await schemas.find(type);
      lookups.set(type, lookup);
    }
    let t = typeIndex.get(type);
    if (t === undefined) {
      t = types.push(type) - 1;
      typeIndex.set(type, t);
    }
    const j = judge(schemas, lookup, type, data, validateOptions);
    verdicts.set(cid.key, (t << 2) | CODE_OF[j.status]);
    if (j.errors.length > 0 && stored.size < maxStored && (storedPerType.get(t) ?? 0) < maxProblems) {
      stored.set(cid.key, j.errors.slice(0, MAX_ERRORS_PER_RECORD));
      storedPerType.set(t, (storedPerType.get(t) ?? 0) + 1);
    }
  };

  const rows = new Map<string, CollectionReport>();
  const other = { ...emptyCounts(), collections: 0 };
  const otherNames = new Set<string>();
  const totals = emptyCounts();

  const onEntry = (entry: { path: string; collection: string; rkey: string; cid: Cid }): void => {
    const v = verdicts.get(entry.cid.key);
    const type = v === undefined ? undefined : types[v >> 2];
    let code = v === undefined ? CODE_INVALID : v & 3;
    let errors = stored.get(entry.cid.key);
    if (type !== entry.collection) {
      // Missing or undecodable blocks fail the repository check; a $type other than the collection is invalid here.
      code = CODE_INVALID;
      errors = [{ path: '$type', message: type === undefined ? 'the record block is missing or is not a record' : `"$type" is "${type}", not the collection "${entry.collection}"` }];
    }
    count(totals, code);
    let row = rows.get(entry.collection);
    if (row === undefined && rows.size < maxCollections) {
      const lookup = lookups.get(entry.collection);
      row = {
        collection: entry.collection,
        ...emptyCounts(),
        schema: lookup?.found === true ? lookup.origin : null,
        reason: lookup === undefined ? null : lookup.found ? null : lookup.reason,
        problems: [],
        moreProblems: 0,
      };
      rows.set(entry.collection, row);
    }
    if (row === undefined) {
      if (!otherNames.has(entry.collection)) {
        otherNames.add(entry.collection);
        other.collections++;
      }
      count(other, code);
      return;
    }
    count(row, code);
    if (code === CODE_INVALID || (code === CODE_UNCHECKED && errors !== undefined)) {
      if (errors !== undefined && row.problems.length < maxProblems) {
        // The URI is completed with the DID once the report is back (`uri` holds the path till then).
        row.problems.push({ uri: entry.path, cid: entry.cid.toString(), errors });
      } else row.moreProblems++;
    }
  };

  const report = await verifyRepoCar(source, { ...options.verify, onRecordBlock, onEntry });
  for (const row of rows.values()) for (const p of row.problems) p.uri = `at://${report.did}/${p.uri}`;

  const repository = { status: report.status, valid: report.valid, reason: report.reason, checks: report.checks, errors: report.errors, warnings: report.warnings };
  const head = { did: report.did, rev: report.rev, commit: report.commit, repository };
  if (report.status === 'invalid') {
    return { ...head, status: 'invalid', recordsValidated: false, totals: emptyCounts(), collections: [], otherCollections: null };
  }
  // A repository that could not be fully checked leaves the verdict open, unless a record fails its schema.
  const status = totals.invalid > 0 ? 'invalid' : totals.unchecked > 0 || report.status === 'unchecked' ? 'unchecked' : 'valid';
  const collections = [...rows.values()].sort((a, b) => (a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : 0));
  return { ...head, status, recordsValidated: true, totals, collections, otherCollections: other.collections > 0 ? other : null };
}

export interface AccountRepoOptions extends RepoValidationOptions {
  identity: IdentityConfig;
  /** Check the commit signature with this key instead of the one in the DID document. */
  key?: PublicKey;
  /** Largest repository accepted, in bytes (default: no limit beyond the client's). */
  maxBytes?: number;
}

/**
 * {@link validateRepository} for an account's current repository, streamed from its PDS
 * (`com.atproto.sync.getRepo`) and checked against the account's DID and signing key.
 */
export async function validateAccountRepository(id: string, options: AccountRepoOptions): Promise<RepoValidationReport> {
  const identity = await resolveIdentity(options.identity, id);
  if (identity.pds === undefined) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`, { hint: 'the account may have been deleted or never set up' });
  const client = new XrpcClient({ service: identity.pds, http: options.identity.http });
  const res = await client.queryStream('com.atproto.sync.getRepo', { did: identity.did }, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes });
  const keys: Pick<RepoVerifyOptions, 'key' | 'resolveKey'> =
    options.key !== undefined
      ? { key: options.key }
      : {
          resolveKey: async (did, { fresh }) => {
            const current = fresh || did !== identity.did ? await resolveIdentity(options.identity, did, { noCache: fresh }) : identity;
            return current.signingKey === undefined ? undefined : parseDidKey(current.signingKey);
          },
        };
  return validateRepository(res.body, { ...options, verify: { ...options.verify, ...keys, expectedDid: identity.did } });
}
