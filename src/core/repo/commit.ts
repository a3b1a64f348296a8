/**
 * Repository commit objects (spec:repository "Commit Objects").
 *
 * The signature is checked over the DAG-CBOR encoding of the *decoded map minus `sig`* — every
 * field, not only the known ones — so a third party cannot add a field to a signed commit and
 * keep a valid signature under a new commit CID (commit-CID malleability).
 */
import { Cid } from '../codec/cid.js';
import { encodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { checkDid } from '../syntax/did.js';
import { checkTid, tidTimestampMicros } from '../syntax/tid.js';
import { verifySignature, type PublicKey } from '../crypto/index.js';

export const COMMIT_FIELDS = ['did', 'version', 'data', 'rev', 'prev', 'sig'] as const;

export interface Commit {
  did: string;
  version: number;
  data: Cid;
  rev: string;
  prev: Cid | null;
  sig: Uint8Array;
}

export interface ParsedCommit {
  commit: Commit;
  /** The decoded map, kept whole: the signature covers every field of it. */
  map: CborMap;
  unknownFields: string[];
}

/** Tolerated clock skew for a commit rev in the future (the reference relay uses 5 minutes). */
export const FUTURE_REV_TOLERANCE_MS = 5 * 60 * 1000;

function isMap(v: CborValue): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

/** Parses a decoded commit block; returns the problems found (empty when well-formed). */
export function parseCommit(value: CborValue): { parsed?: ParsedCommit; problems: string[] } {
  const problems: string[] = [];
  if (!isMap(value)) return { problems: ['the commit block is not a map'] };
  for (const field of COMMIT_FIELDS) if (!(field in value)) problems.push(`commit has no "${field}" field${field === 'prev' ? ' (it must be present, null when there is none)' : ''}`);
  const { did, version, data, rev, prev, sig } = value as Record<string, CborValue>;
  if (typeof did !== 'string') problems.push('commit "did" is not a string');
  else {
    const reason = checkDid(did);
    if (reason) problems.push(`commit "did" is not a valid DID: ${reason}`);
  }
  if (version !== 3) problems.push(version === 2 ? 'commit is version 2; only version 3 is accepted' : `commit "version" is ${JSON.stringify(typeof version === 'bigint' ? version.toString() : version)}, not 3`);
  if (!(data instanceof Cid)) problems.push('commit "data" is not a link');
  else if (!data.isBlessed) problems.push(`commit "data" ${data.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
  if (typeof rev !== 'string') problems.push('commit "rev" is not a string');
  else {
    const reason = checkTid(rev);
    if (reason) problems.push(`commit "rev" "${rev}" is not a valid TID: ${reason}`);
  }
  if (prev !== null && prev !== undefined) {
    if (!(prev instanceof Cid)) problems.push('commit "prev" is neither a link nor null');
    else if (!prev.isBlessed) problems.push(`commit "prev" ${prev.toString()} is not a CIDv1 dag-cbor sha2-256 link`);
  }
  if (!(sig instanceof Uint8Array)) problems.push('commit "sig" is not a byte string');
  const unknownFields = Object.keys(value).filter((k) => !(COMMIT_FIELDS as readonly string[]).includes(k));
  if (problems.length > 0) return { problems };
  return {
    parsed: {
      commit: { did: did as string, version: 3, data: data as Cid, rev: rev as string, prev: (prev as Cid | null) ?? null, sig: sig as Uint8Array },
      map: value,
      unknownFields,
    },
    problems,
  };
}

/** The bytes a commit signature covers: the commit map without `sig`, DAG-CBOR encoded. */
export function unsignedCommitBytes(map: CborMap): Uint8Array {
  const unsigned: CborMap = {};
  for (const key of Object.keys(map)) if (key !== 'sig') unsigned[key] = map[key] as CborValue;
  return encodeCbor(unsigned);
}

export function verifyCommitSignature(parsed: ParsedCommit, key: PublicKey): { ok: true } | { ok: false; reason: string } {
  return verifySignature(key, unsignedCommitBytes(parsed.map), parsed.commit.sig);
}

/** Milliseconds since the epoch encoded in a valid TID rev (for the future-rev check). */
export function revTimeMs(rev: string): number {
  return Math.floor(tidTimestampMicros(rev) / 1000);
}
