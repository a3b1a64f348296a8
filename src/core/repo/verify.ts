/**
 * Full self-authentication of a repository CAR, streaming (invariants §1: R*, C*, K*, M*, D*).
 *
 * One pass over the CAR hashes every block against its CID and decodes it strictly. Only what the
 * tree check needs is kept: the bytes of blocks shaped like MST nodes, and an index of record
 * CIDs with their `$type`. Then the commit is checked and signed-over, and the MST is walked in
 * order from `data`: node shape, prefix compression, key order across the whole tree, the layer
 * of every key, empty nodes, completeness, and every record's presence.
 */
import { Cid } from '../codec/cid.js';
import { checkCborRecord, decodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { readCar, type CarReadOptions } from '../codec/car.js';
import { sha256, digestEquals, CODEC_DAG_CBOR, MH_SHA256 } from '../codec/cid.js';
import type { PublicKey } from '../crypto/index.js';
import { checkDid } from '../syntax/did.js';
import { checkNsid } from '../syntax/nsid.js';
import { checkRecordKey } from '../syntax/recordkey.js';
import { isAtcliError, usage } from '../errors.js';
import { givenKeySource, judgeSignature, type SignatureVerdict, type SigningKeySource } from '../identity/signing-keys.js';
import { FUTURE_REV_TOLERANCE_MS, parseCommit, revTimeMs, unsignedCommitBytes, type ParsedCommit } from './commit.js';
import { uvarintSize } from '../codec/varint.js';
import { ByteArena, CidIndex } from './cid-index.js';
import { ReachTracker, type RepoLimits } from './reach.js';
import { CappedList, LIST_CAP, joinCapped } from '../util/capped-list.js';
import { compareKeys, keyHeight, keyToString, MstNodeError, parseMstNode, type MstNode } from './mst.js';

export interface RepoEntry {
  path: string;
  collection: string;
  rkey: string;
  cid: Cid;
}

/**
 * ok: passed. failed: the data was checked and fails. warning: a finding that does not make the
 * repository invalid (a historical signature, unreferenced blocks). unchecked: the check could
 * not run (the signing key could not be obtained, the download broke off).
 */
export type CheckStatus = 'ok' | 'failed' | 'warning' | 'unchecked';

export interface VerifyCheck {
  name: string;
  status: CheckStatus;
  /** status === 'ok' (kept for scripts written against the first contract). */
  ok: boolean;
  detail: string;
  /** Set on warning-level findings, which do not make the repository invalid. */
  level?: 'warning';
}

/** valid: every check ran and passed; invalid: a check failed; unchecked: none failed but one could not run. */
export type RepoVerdict = 'valid' | 'invalid' | 'unchecked';

export interface RepoVerifyReport {
  status: RepoVerdict;
  /** status === 'valid' (a historical signature is valid, with a warning). */
  valid: boolean;
  /** Why the verdict is unchecked (the details of the checks that could not run); null otherwise. */
  reason: string | null;
  /** The verdict on the commit signature; null when it was not judged (skipped, or no commit). */
  signature: SignatureVerdict | null;
  did: string | null;
  rev: string | null;
  version: number | null;
  commit: string | null;
  data: string | null;
  prev: string | null;
  signingKey: string | null;
  records: number;
  blocks: number;
  bytes: number;
  mstNodes: number;
  mstDepth: number;
  /** Record blocks referenced (two paths may share one identical record block). */
  distinctRecordBlocks: number;
  collections: Record<string, number>;
  checks: VerifyCheck[];
  errors: string[];
  /** The first warnings (capped); `warningsOmitted` counts the rest. */
  warnings: string[];
  warningsOmitted: number;
}

export interface RepoVerifyOptions {
  /** The DID the repository must belong to (K3). */
  expectedDid?: string;
  /** The only key the commit may be signed with (nothing is looked up). */
  key?: PublicKey;
  /** The DID's signing keys now and, for did:plc, over time (identity/signing-keys.ts). */
  signingKeys?: SigningKeySource;
  /** A commit signed by a key that was in force earlier but not now is invalid, not historical. */
  currentKeyOnly?: boolean;
  /**
   * Looks up the account's current signing key only (no history); called again with `fresh: true`
   * once if the signature fails. Superseded by `signingKeys`.
   */
  resolveKey?: (did: string, opts: { fresh: boolean }) => Promise<PublicKey | undefined>;
  /** A declared partial CAR (diff, proof): absent nodes and records are not errors. */
  partial?: boolean;
  /** Current time for the future-rev check (ms since epoch). */
  now?: number;
  /** Entries in one node above this are an error (M11 key-mining limit). */
  maxNodeEntries?: number;
  /** Entries in one node above this are a warning. */
  warnNodeEntries?: number;
  car?: CarReadOptions;
  onProgress?: (progress: { bytes: number; blocks: number }) => void;
  /** Called for every record path in key order during the walk. */
  onEntry?: (entry: RepoEntry) => void;
  /** Called when the walk reaches an MST node (or finds it absent), before its entries. */
  onNode?: (node: { cid: Cid; layer: number; entries: number; present: boolean }) => void;
  /** Read-only tools (inspect, ls, diff) that do not authenticate: skip the signature check. */
  skipSignature?: boolean;
  /**
   * Called, as the CAR streams past, with every block that may be a record (hash-checked,
   * dag-cbor, not the commit, not shaped like an MST node), before the next block is read; a
   * returned promise is awaited. `bytes` is a view into the input: copy what must outlive the call.
   */
  onRecordBlock?: (cid: Cid, bytes: Uint8Array) => void | Promise<void>;
  /** Limits on what is read (reach.ts; defaults {@link DEFAULT_REPO_LIMITS}); past them, runtime 'RepoTooLarge'. */
  limits?: Partial<RepoLimits>;
}

const MAX_MST_LAYER = 32;

/** Collects messages per check, listing the first few and counting the rest. */
class Findings extends CappedList<string> {
  summary(): string {
    return joinCapped(this);
  }
}

function isMap(v: CborValue): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

function isNodeShaped(v: CborValue): boolean {
  if (!isMap(v)) return false;
  let n = 0;
  for (const k in v) {
    if (k !== 'e' && k !== 'l') return false;
    n++;
  }
  return n === 2;
}


/** Where a CAR section ends: its start, the length varint, the CID and the data. */
function sectionEnd(offset: number, cidLength: number, dataLength: number): number {
  return offset + uvarintSize(cidLength + dataLength) + cidLength + dataLength;
}

/** A 2-entry map whose first key is "e": the only shape an MST node can have (`{e, l}`). */
function looksLikeNode(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xa2 && bytes[1] === 0x61 && bytes[2] === 0x65;
}

/**
 * Checks a record block with every DRISL rule without building it, keeping only its $type
 * (interned: a million records share a handful of types) or why it is unusable.
 */
function classifyRecord(
  key: string,
  bytes: Uint8Array,
  recordTypes: CidIndex,
  recordProblems: Map<string, string>,
  decodeFailures: Map<string, string>,
  typeNames: string[],
): void {
  let checked: { isMap: boolean; type: string | undefined };
  try {
    checked = checkCborRecord(bytes);
  } catch (err) {
    decodeFailures.set(key, isAtcliError(err) ? err.message : String(err));
    return;
  }
  if (!checked.isMap) {
    recordProblems.set(key, 'record is not a map');
    return;
  }
  const type = checked.type;
  if (type !== undefined && type.length > 0) {
    let index = typeNames.indexOf(type);
    if (index < 0) index = typeNames.push(type) - 1;
    recordTypes.set(key, index << 1);
  } else {
    recordProblems.set(key, 'record has no "$type" (a non-empty string)');
  }
}

/** The bytes of the commit's `data` link, when the block decodes to a map holding one. */
function commitDataLink(bytes: Uint8Array): Uint8Array | undefined {
  try {
    const value = decodeCbor(bytes);
    return isMap(value) && value.data instanceof Cid ? value.data.bytes : undefined;
  } catch {
    return undefined;
  }
}

interface Frame {
  node: MstNode;
  layer: number;
  next: number;
}

export async function verifyRepoCar(source: AsyncIterable<Uint8Array>, options: RepoVerifyOptions = {}): Promise<RepoVerifyReport> {
  if (options.expectedDid !== undefined) {
    const reason = checkDid(options.expectedDid);
    if (reason !== null) throw usage('InvalidDid', `the DID the repository must belong to, ${JSON.stringify(options.expectedDid.slice(0, 100))}, is not a DID: ${reason}`);
  }
  const report: RepoVerifyReport = {
    status: 'invalid',
    valid: false,
    reason: null,
    signature: null,
    did: null,
    rev: null,
    version: null,
    commit: null,
    data: null,
    prev: null,
    signingKey: null,
    records: 0,
    blocks: 0,
    bytes: 0,
    mstNodes: 0,
    mstDepth: 0,
    distinctRecordBlocks: 0,
    collections: {},
    checks: [],
    errors: [],
    warnings: [],
    warningsOmitted: 0,
  };
  const check = (name: string, ok: boolean, detail: string, level?: 'warning'): void => record(report, name, ok ? 'ok' : level ? 'warning' : 'failed', detail);

  // --- pass over the CAR ---
  const hashFailures = new Findings();
  const decodeFailures = new Map<string, string>();
  const corrupt = new Set<string>();
  const nodeBytes = new Map<string, Uint8Array>();
  // Per record block: its $type as an index into `typeNames` (shifted left, low bit = referenced),
  // or why it is unusable. One small integer per record keeps a million-record index compact.
  const recordTypes = new CidIndex();
  const arena = new ByteArena();
  const recordProblems = new Map<string, string>();
  const typeNames: string[] = [];
  let rootCid: Cid | undefined;
  let commitBytes: Uint8Array | undefined;
  let carError: string | undefined;
  let lastProgress = 0;
  const reach = new ReachTracker(
    options.limits,
    (key) => nodeBytes.get(key) ?? ((recordTypes.has(key) || recordProblems.has(key) || decodeFailures.has(key) || corrupt.has(key) || key === rootCid?.key) ? true : undefined),
  );
  try {
    const car = await readCar(source, { ...options.car, verifyHashes: false });
    rootCid = car.header.roots[0];
    for await (const batch of car.batches()) {
      for (const block of batch) {
        report.blocks++;
        report.bytes = sectionEnd(block.offset, block.cid.bytes.length, block.bytes.length);
        if (options.onProgress && report.bytes - lastProgress >= 1 << 20) {
          lastProgress = report.bytes;
          options.onProgress({ bytes: report.bytes, blocks: report.blocks });
        }
        const cid = block.cid;
        const key = cid.key;
        // A block outside a tree already complete is counted, never kept (memory stays bounded).
        const unreferenced = reach.section(key, block.bytes.length, report.bytes);
        if (cid.version !== 1 || cid.multihashCode !== MH_SHA256 || cid.bytes.length - cid.digestOffset !== 32) {
          hashFailures.add(`block ${cid.toString()} is not addressed by a CIDv1 sha2-256 hash`);
          if (!unreferenced) corrupt.add(key);
          continue;
        }
        if (!digestEquals(sha256(block.bytes), cid.bytes, cid.digestOffset)) {
          hashFailures.add(`block ${cid.toString()} (at byte ${block.offset}) does not match its hash`);
          if (!unreferenced) corrupt.add(key);
          continue;
        }
        if (unreferenced) continue;
        if (rootCid && key === rootCid.key) {
          commitBytes = block.bytes.slice();
          reach.commit(commitDataLink(commitBytes));
          continue;
        }
        if (cid.codec !== CODEC_DAG_CBOR) {
          recordProblems.set(key, `block uses codec 0x${cid.codec.toString(16)}, not dag-cbor`);
          continue;
        }
        const bytes = block.bytes;
        if (looksLikeNode(bytes)) {
          // Decoded (strictly) once, by the walk. A copy: the block is a view into a large input
          // chunk that must not stay pinned.
          nodeBytes.set(key, arena.copy(bytes));
          continue;
        }
        classifyRecord(key, bytes, recordTypes, recordProblems, decodeFailures, typeNames);
        if (options.onRecordBlock) {
          const pending = options.onRecordBlock(cid, bytes);
          if (pending) await pending;
        }
      }
    }
    options.onProgress?.({ bytes: report.bytes, blocks: report.blocks });
  } catch (err) {
    // Only a malformed CAR is a verdict. A failed download, a transfer too slow or a limit passed
    // means the repository could not be checked: the error itself (exit 1) says why and what to do.
    if (isAtcliError(err) && err.kind !== 'invalid') throw err;
    carError = isAtcliError(err) ? err.message : String(err);
  }

  check('car', carError === undefined && rootCid !== undefined, carError ?? `CAR v1, root ${rootCid?.toString()}, ${report.blocks} blocks, ${report.bytes} bytes`);
  if (!rootCid) return finish(report);
  report.commit = rootCid.toString();
  check('hashes', hashFailures.count === 0, hashFailures.count === 0 ? `all ${report.blocks} blocks match their CIDs (sha2-256)` : hashFailures.summary());

  // --- commit ---
  let parsed: ParsedCommit | undefined;
  if (commitBytes === undefined) {
    check('commit', false, corrupt.has(rootCid.key) ? `the commit block ${rootCid.toString()} fails its hash check` : `the root block ${rootCid.toString()} (the commit) is not in the CAR`);
  } else if (!rootCid.isBlessed) {
    check('commit', false, `the root CID ${rootCid.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
  } else {
    let value: CborValue | undefined;
    try {
      value = decodeCbor(commitBytes);
    } catch (err) {
      check('commit', false, `the commit block does not decode as canonical DAG-CBOR: ${isAtcliError(err) ? err.message : String(err)}`);
    }
    if (value !== undefined) {
      const result = parseCommit(value);
      if (!result.parsed) {
        check('commit', false, isNodeShaped(value) ? 'the root block is an MST node, not a commit' : result.problems.join('; '));
      } else {
        parsed = result.parsed;
        const c = parsed.commit;
        report.did = c.did;
        report.rev = c.rev;
        report.version = c.version;
        report.data = c.data.toString();
        report.prev = c.prev ? c.prev.toString() : null;
        const problems: string[] = [];
        if (parsed.unknownFields.length > 0) {
          problems.push(`commit carries unknown field${parsed.unknownFields.length > 1 ? 's' : ''} ${parsed.unknownFields.map((f) => `"${f}"`).join(', ')}`);
        }
        const now = options.now ?? Date.now();
        if (revTimeMs(c.rev) > now + FUTURE_REV_TOLERANCE_MS) problems.push(`commit rev ${c.rev} is in the future (${new Date(revTimeMs(c.rev)).toISOString()})`);
        check('commit', problems.length === 0, problems.length === 0 ? `version 3, rev ${c.rev}, did ${c.did}` : problems.join('; '));
      }
    }
  }

  if (parsed && options.expectedDid !== undefined) {
    check('did', parsed.commit.did === options.expectedDid, parsed.commit.did === options.expectedDid ? `commit belongs to ${options.expectedDid}` : `commit belongs to ${parsed.commit.did}, expected ${options.expectedDid}`);
  }

  // --- signature ---
  if (parsed && !options.skipSignature) await checkSignature(parsed, options, report);

  // --- MST walk ---
  if (parsed) {
    walkTree(parsed.commit.data, { nodeBytes, recordTypes, recordProblems, typeNames, corrupt, decodeFailures }, options, report, check);
  }

  // --- unreferenced blocks ---
  if (carError === undefined && parsed) {
    const referenced = 1 + report.mstNodes + report.distinctRecordBlocks;
    const extra = report.blocks - referenced - corrupt.size;
    if (extra > 0) check('unreferenced', false, `${extra} block${extra > 1 ? 's are' : ' is'} not referenced by the commit or its tree (ignored)`, 'warning');
  }
  return finish(report);
}

/** Adds a check; failures go to `errors`, warnings to `warnings`. */
function record(report: RepoVerifyReport, name: string, status: CheckStatus, detail: string): void {
  report.checks.push(status === 'warning' ? { name, status, ok: false, detail, level: 'warning' } : { name, status, ok: status === 'ok', detail });
  if (status === 'failed') report.errors.push(`${name}: ${detail}`);
  else if (status === 'warning') report.warnings.push(`${name}: ${detail}`);
}

function finish(report: RepoVerifyReport): RepoVerifyReport {
  const unchecked = report.checks.filter((c) => c.status === 'unchecked');
  report.status = report.checks.some((c) => c.status === 'failed') ? 'invalid' : unchecked.length > 0 ? 'unchecked' : 'valid';
  report.valid = report.status === 'valid';
  report.reason = report.status === 'unchecked' ? unchecked.map((c) => `${c.name}: ${c.detail}`).join('; ') : null;
  return report;
}

/** A source built on the first-contract callback: the current key only, no history. */
function callbackKeySource(resolveKey: NonNullable<RepoVerifyOptions['resolveKey']>): SigningKeySource {
  return {
    currentKey: async (did, o) => (await resolveKey(did, { fresh: o?.fresh === true }))?.did() ?? null,
    keyHistory: async () => null,
    forget: () => undefined,
  };
}

async function checkSignature(parsed: ParsedCommit, options: RepoVerifyOptions, report: RepoVerifyReport): Promise<void> {
  const did = parsed.commit.did;
  const source = options.key ? givenKeySource(options.key) : (options.signingKeys ?? (options.resolveKey ? callbackKeySource(options.resolveKey) : undefined));
  if (source === undefined) {
    record(report, 'signature', 'unchecked', `no signing key of ${did} was given or looked up`);
    return;
  }
  const verdict = await judgeSignature(did, { message: unsignedCommitBytes(parsed.map), sig: parsed.commit.sig }, source, options.currentKeyOnly ? { currentKeyOnly: true } : {});
  report.signature = verdict;
  report.signingKey = verdict.key ?? verdict.currentKey;
  const status: CheckStatus = verdict.status === 'valid' ? 'ok' : verdict.status === 'historical' ? 'warning' : verdict.status === 'invalid' ? 'failed' : 'unchecked';
  record(report, 'signature', status, verdict.detail);
  for (const note of verdict.notes) report.warnings.push(`signature: ${note}`);
}

interface BlockIndex {
  nodeBytes: Map<string, Uint8Array>;
  recordTypes: CidIndex;
  recordProblems: Map<string, string>;
  typeNames: string[];
  corrupt: Set<string>;
  decodeFailures: Map<string, string>;
}

function walkTree(
  root: Cid,
  blocks: BlockIndex,
  options: RepoVerifyOptions,
  report: RepoVerifyReport,
  check: (name: string, ok: boolean, detail: string, level?: 'warning') => void,
): void {
  const structure = new Findings();
  const missing = new Findings();
  const recordProblems = new Findings();
  const typeMismatch = new Findings();
  const maxEntries = options.maxNodeEntries ?? 1024;
  const warnEntries = options.warnNodeEntries ?? 64;
  const validCollections = new Map<string, string | null>();
  const stack: Frame[] = [];
  let lastKey: Uint8Array | undefined;
  let crowded = 0;
  let distinctRecords = 0;
  // Referenced blocks that are not usable records (rare): counted so they are not "unreferenced".
  const badReferenced = new Set<string>();

  const load = (cid: Cid, expectedLayer: number | undefined, where: string): void => {
    const key = cid.key;
    const bytes = blocks.nodeBytes.get(key);
    if (bytes === undefined) {
      if (blocks.corrupt.has(key)) structure.add(`MST node ${cid.toString()} ${where} fails its hash check`);
      else if (blocks.decodeFailures.has(key)) structure.add(`MST node ${cid.toString()} ${where} is not canonical DAG-CBOR: ${blocks.decodeFailures.get(key)}`);
      else if (blocks.recordTypes.has(key) || blocks.recordProblems.has(key)) structure.add(`block ${cid.toString()} ${where} should be an MST node but is not shaped like one`);
      else if (!options.partial) missing.add(`MST node ${cid.toString()} ${where} is missing`);
      options.onNode?.({ cid, layer: expectedLayer ?? -1, entries: 0, present: false });
      return;
    }
    let node: MstNode;
    try {
      const parsed = parseMstNode(decodeCbor(bytes));
      node = parsed.node;
      for (const w of parsed.warnings) {
        if (report.warnings.length < LIST_CAP) report.warnings.push(`MST node ${cid.toString()}: ${w}`);
        else report.warningsOmitted++;
      }
    } catch (err) {
      structure.add(`MST node ${cid.toString()} ${where}: ${err instanceof MstNodeError || isAtcliError(err) ? err.message : String(err)}`);
      return;
    }
    report.mstNodes++;
    const isRoot = expectedLayer === undefined;
    let layer: number;
    if (node.entries.length > 0) {
      layer = keyHeight((node.entries[0] as MstNode['entries'][number]).key);
      for (const e of node.entries) {
        const h = keyHeight(e.key);
        if (h !== (expectedLayer ?? layer)) {
          structure.add(`key "${keyToString(e.key)}" has height ${h} but sits in a layer-${expectedLayer ?? layer} node (${cid.toString()})`);
          break;
        }
      }
      if (expectedLayer !== undefined) layer = expectedLayer;
    } else if (isRoot) {
      if (node.left !== null) {
        structure.add(`the root node ${cid.toString()} has no entries but points to a subtree (the root must not be a pointer-only node)`);
        return;
      }
      layer = 0;
    } else {
      if (node.left === null) {
        structure.add(`MST node ${cid.toString()} ${where} is empty (only the root of an empty repository may be)`);
        return;
      }
      layer = expectedLayer as number;
    }
    if (layer < 0) {
      structure.add(`MST node ${cid.toString()} ${where} is below layer 0 (a layer-0 node has a subtree link)`);
      return;
    }
    if (layer > MAX_MST_LAYER) {
      structure.add(`MST node ${cid.toString()} is at layer ${layer}, deeper than ${MAX_MST_LAYER}`);
      return;
    }
    if (layer === 0 && (node.left !== null || node.entries.some((e) => e.right !== null))) {
      structure.add(`layer-0 node ${cid.toString()} has a subtree link`);
      return;
    }
    if (node.entries.length > maxEntries) structure.add(`MST node ${cid.toString()} holds ${node.entries.length} entries (limit ${maxEntries})`);
    else if (node.entries.length > warnEntries) crowded++;
    if (isRoot) report.mstDepth = layer;
    options.onNode?.({ cid, layer, entries: node.entries.length, present: true });
    stack.push({ node, layer, next: -1 });
  };

  const visitEntry = (entry: MstNode['entries'][number]): void => {
    if (lastKey !== undefined && compareKeys(lastKey, entry.key) >= 0) {
      structure.add(`key "${keyToString(entry.key)}" is out of order after "${keyToString(lastKey)}" (a subtree's keys must lie between its neighbours)`);
    }
    lastKey = entry.key;
    const path = keyToString(entry.key);
    const slash = path.indexOf('/');
    const collection = slash > 0 ? path.slice(0, slash) : '';
    const rkey = slash > 0 ? path.slice(slash + 1) : '';
    let pathProblem = slash <= 0 || rkey.includes('/') ? 'is not <collection>/<rkey>' : null;
    if (pathProblem === null) {
      let nsidProblem = validCollections.get(collection);
      if (nsidProblem === undefined) {
        nsidProblem = checkNsid(collection);
        validCollections.set(collection, nsidProblem);
      }
      pathProblem = nsidProblem ? `has an invalid collection: ${nsidProblem}` : checkRecordKey(rkey) ? `has an invalid record key: ${checkRecordKey(rkey)}` : null;
    }
    if (pathProblem) structure.add(`path "${path}" ${pathProblem}`);
    report.records++;
    report.collections[collection] = (report.collections[collection] ?? 0) + 1;
    const key = entry.value.key;
    let state = blocks.recordTypes.get(key);
    if (state === undefined && blocks.nodeBytes.has(key) && !blocks.recordProblems.has(key)) {
      // A record that happens to be shaped like {e, l} was set aside as a node candidate.
      classifyRecord(key, blocks.nodeBytes.get(key) as Uint8Array, blocks.recordTypes, blocks.recordProblems, blocks.decodeFailures, blocks.typeNames);
      state = blocks.recordTypes.get(key);
    }
    if (state !== undefined && (state & 1) === 0) {
      blocks.recordTypes.set(key, state | 1);
      distinctRecords++;
    }
    const type = state === undefined ? undefined : blocks.typeNames[state >> 1];
    const problem = type === undefined ? blocks.recordProblems.get(key) : undefined;
    if (problem !== undefined || blocks.decodeFailures.has(key)) badReferenced.add(key);
    if (type === undefined && problem === undefined) {
      if (blocks.corrupt.has(key)) recordProblems.add(`record ${path} (${entry.value.toString()}) fails its hash check`);
      else if (blocks.decodeFailures.has(key)) recordProblems.add(`record ${path} (${entry.value.toString()}) does not decode: ${blocks.decodeFailures.get(key)}`);
      else if (!options.partial) missing.add(`record ${path} (${entry.value.toString()}) is missing`);
    } else if (problem !== undefined) {
      recordProblems.add(`record ${path} (${entry.value.toString()}): ${problem}`);
    } else if (type !== collection) {
      typeMismatch.add(`record ${path} has $type "${type}"`);
    }
    options.onEntry?.({ path, collection, rkey, cid: entry.value });
  };

  load(root, undefined, '(the root)');
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next === -1) {
      top.next = 0;
      if (top.node.left) load(top.node.left, top.layer - 1, `(left of layer ${top.layer})`);
      continue;
    }
    if (top.next < top.node.entries.length) {
      const entry = top.node.entries[top.next] as MstNode['entries'][number];
      top.next++;
      visitEntry(entry);
      if (entry.right) load(entry.right, top.layer - 1, `(after "${keyToString(entry.key)}")`);
      continue;
    }
    stack.pop();
  }

  const nodes = `${report.mstNodes} nodes, root layer ${report.mstDepth}`;
  check('mst', structure.count === 0, structure.count === 0 ? `${nodes}; keys strictly ordered, every key on the layer of its hash, prefix compression maximal, no empty nodes` : structure.summary());
  check(
    'complete',
    missing.count === 0,
    missing.count === 0 ? (options.partial ? 'partial CAR: absent blocks allowed' : 'every MST node and record block is present') : missing.summary(),
  );
  report.distinctRecordBlocks = distinctRecords + badReferenced.size;
  check('records', recordProblems.count === 0, recordProblems.count === 0 ? `${report.records} records decode as canonical DAG-CBOR maps with a $type` : recordProblems.summary());
  if (typeMismatch.count > 0) check('record types', false, `${typeMismatch.count} record${typeMismatch.count > 1 ? 's have' : ' has'} a $type other than its collection: ${typeMismatch.summary()}`, 'warning');
  if (crowded > 0) check('node size', false, `${crowded} MST node${crowded > 1 ? 's hold' : ' holds'} more than ${warnEntries} entries (possible key mining)`, 'warning');
}
