/**
 * Reading one record the way a verifier must: resolve the account, fetch the record with its
 * signed inclusion proof (`com.atproto.sync.getRecord`) from the account's PDS, and check the
 * proof against the account's signing key (see `proof.ts`). A signature that fails with the
 * resolved key is retried once with a freshly resolved one, since the key may have rotated since
 * it was cached.
 */
import { parseDidKey, type PublicKey } from '../crypto/index.js';
import { invalid, notFound, usage } from '../errors.js';
import { resolveIdentity, type AtprotoIdentity, type IdentityConfig } from '../identity/index.js';
import { parseAtUri } from '../syntax/index.js';
import { XrpcClient } from '../xrpc/index.js';
import { fetchRecordProof, recordUri, type RecordProofReport, type RecordRef } from './records.js';

/** A record named by an AT-URI: its account (handle or DID), collection and record key. */
export interface RecordTarget {
  authority: string;
  collection: string;
  rkey: string;
}

/** Parses an AT-URI that must name a record; usage 'InvalidAtUri' otherwise. */
export function parseRecordUri(uri: string): RecordTarget {
  const parsed = parseAtUri(uri);
  if (parsed.collection === undefined || parsed.rkey === undefined) {
    throw usage('InvalidAtUri', `"${uri}" does not name a record`, { hint: 'a record URI has a collection and a record key: at://<handle or DID>/<collection>/<rkey>' });
  }
  return { authority: parsed.authority, collection: parsed.collection, rkey: parsed.rkey };
}

export interface ProvenRecord {
  identity: AtprotoIdentity;
  ref: RecordRef;
  /** The checked proof: `valid`, the record's CID and decoded value when present, every check. */
  proof: RecordProofReport;
}

export interface ReadProvenRecordOptions {
  /** Check the proof with this key instead of the one in the DID document (no refetch then). */
  key?: PublicKey;
}

/**
 * Resolves `target`'s account and reads the record with its proof, verified. The result carries
 * the proof whether it holds or not (`proof.valid`); a proof that validly shows the record absent
 * is notFound 'RecordNotFound' (details `absenceProven`, `rev`). Throws notFound 'NoPds' when the
 * DID document names no PDS, invalid 'NoSigningKey' when it has no signing key (and no `key`).
 */
export async function readProvenRecord(config: IdentityConfig, target: RecordTarget, options: ReadProvenRecordOptions = {}): Promise<ProvenRecord> {
  const identity = await resolveIdentity(config, target.authority);
  if (identity.pds === undefined) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`, { hint: 'the account may have been deleted or never set up' });
  let key = options.key;
  if (key === undefined) {
    if (identity.signingKey === undefined) {
      throw invalid('NoSigningKey', `the DID document of ${identity.did} has no atproto signing key, so the record's proof cannot be checked`);
    }
    key = parseDidKey(identity.signingKey);
  }
  const fresh =
    options.key === undefined
      ? async (): Promise<PublicKey | undefined> => {
          const again = await resolveIdentity(config, identity.did, { noCache: true });
          return again.signingKey === undefined ? undefined : parseDidKey(again.signingKey);
        }
      : undefined;
  const ref: RecordRef = { did: identity.did, collection: target.collection, rkey: target.rkey };
  const client = new XrpcClient({ service: identity.pds, http: config.http });
  const proof = await fetchRecordProof(client, ref, fresh === undefined ? { key } : { key, fresh });
  if (proof.valid && proof.present === false) {
    throw notFound('RecordNotFound', `no record ${recordUri(ref)}: the PDS's signed proof (rev ${proof.commit?.rev}, key ${proof.signingKey}) shows it is absent`, {
      details: { did: ref.did, collection: ref.collection, rkey: ref.rkey, absenceProven: true, rev: proof.commit?.rev ?? null },
    });
  }
  return { identity, ref, proof };
}
