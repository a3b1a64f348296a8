/**
 * The cheap check of a repository's head (spec:repository "Commit Objects" and spec:sync,
 * https://atproto.com/specs/repository): `com.atproto.sync.getLatestCommit` names the head's rev,
 * and the signed proof `com.atproto.sync.getRecord` serves for one path (the profile record,
 * present or not) carries the head commit itself plus the tree nodes down that path. The commit
 * must be well-formed, of this DID, at least at that rev, and signed by the key in force; the path
 * must be a valid partial tree. Nothing else of the repository is downloaded.
 */
import type { PublicKey } from '../crypto/index.js';
import { runtime } from '../errors.js';
import { sanitizeRemoteText, type XrpcClient } from '../xrpc/index.js';
import { fetchRecordProof } from './records.js';
import { compareTids } from '../syntax/index.js';

/** The path whose proof carries the head commit: every account's profile lives there (or is provably absent). */
const PROBE = { collection: 'app.bsky.actor.profile', rkey: 'self' } as const;

export interface HeadCommitCheck {
  did: string;
  /** the rev getLatestCommit names */
  rev: string;
  /** the commit the proof carries: rev and MST root (null when it could not be read) */
  commit: { rev: string; data: string } | null;
  /** the commit is well-formed, of this DID, not older than `rev`, signed by `key`, and the path verifies */
  valid: boolean;
  /** true / false once the signature was checked; null when the commit could not be read */
  signatureValid: boolean | null;
  /** the did:key it was checked against */
  key: string;
  problems: string[];
}

/**
 * Fetches and checks the head commit. Network and server errors throw (the check could not run);
 * anything wrong with what was served is a problem in the result.
 */
export async function verifyHeadCommit(client: XrpcClient, did: string, key: PublicKey): Promise<HeadCommitCheck> {
  const latest = await client.query<unknown>('com.atproto.sync.getLatestCommit', { did });
  const rev = typeof latest === 'object' && latest !== null ? (latest as { rev?: unknown }).rev : undefined;
  if (typeof rev !== 'string') throw runtime('InvalidResponse', 'com.atproto.sync.getLatestCommit: the answer has no "rev"');
  const proof = await fetchRecordProof(client, { did, ...PROBE }, { key });
  const signature = proof.checks.find((c) => c.name === 'signature');
  const problems = [...proof.errors];
  if (proof.commit !== null && compareTids(proof.commit.rev, rev) < 0) {
    problems.push(`the commit served (rev ${proof.commit.rev}) is older than the head getLatestCommit names (rev ${sanitizeRemoteText(rev, 40)})`);
  }
  return {
    did,
    rev: sanitizeRemoteText(rev, 40),
    commit: proof.commit === null ? null : { rev: proof.commit.rev, data: proof.commit.data },
    valid: proof.valid && problems.length === 0,
    signatureValid: signature === undefined ? null : signature.ok,
    key: key.did(),
    problems,
  };
}
