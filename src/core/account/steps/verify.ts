/**
 * The verification gates (docs/account-migration.md).
 * - verify-copy, before the identity moves: the new host's checkAccountStatus shows every record
 *   of the verified export and importedBlobs == expectedBlobs, listMissingBlobs is empty, and the
 *   old repository has not changed since it was exported (if it has, the copy is redone: a
 *   catch-up import, then the missing blobs).
 * - verify-new, after activation and before the old account is switched off: the new host's
 *   repository verifies with the NEW signing key and the DID, holds every (path, CID) of the
 *   source, and every blob it lists downloads with bytes that hash to its CID.
 */
import { invalid, runtime } from '../../errors.js';
import { parseDidKey } from '../../crypto/index.js';
import { listRepoEntries } from '../../repo/read.js';
import { verifyRepoCar, type RepoEntry } from '../../repo/verify.js';
import { downloadBlob, listBlobs } from '../../blob/index.js';
import type { XrpcClient } from '../../xrpc/index.js';
import { checkAccountStatus, getLatestCommit, missingBlobCids, type AccountStatus } from '../admin.js';
import { resetFrom } from '../journal.js';
import { BLOB_MAX_BYTES } from './blobs.js';
import { done, pool, type MigrationRun, type StepOutcome } from './context.js';
import { checkExportedCar, fileChunks } from './repo.js';
import { downloadRepoCar } from '../../repo/remote.js';

/** How often the copy is redone because the old account kept changing. */
export const MAX_CATCH_UP_ROUNDS = 3;

/**
 * The copy gate: the host indexed every record of the source and holds every blob its records
 * reference. Throws invalid 'CopyIncomplete' naming what is missing.
 */
export function checkCopyGate(st: AccountStatus, missing: readonly string[], sourceRecords: number, failureHint: string, details: Record<string, unknown> = {}): void {
  const problems: string[] = [];
  if (st.indexedRecords !== sourceRecords) problems.push(`the new host indexed ${st.indexedRecords} records, the source holds ${sourceRecords}`);
  if (st.importedBlobs !== st.expectedBlobs) problems.push(`the new host has ${st.importedBlobs} of the ${st.expectedBlobs} blobs its records reference`);
  if (missing.length > 0) problems.push(`the new host still lists ${missing.length} missing blob${missing.length === 1 ? '' : 's'} (${missing.slice(0, 3).join(', ')})`);
  if (problems.length > 0) {
    throw invalid('CopyIncomplete', `the new host does not hold everything yet: ${problems.join('; ')}`, { hint: failureHint, details });
  }
}

export async function verifyCopyStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const source = j.source;
  if (source === undefined) throw runtime('NotVerified', 'the exported repository has not been verified');
  const client = await run.newClient();
  const latest = await getLatestCommit(run.oldClient, run.did);
  if (latest.rev !== source.rev) {
    j.catchUpRounds++;
    if (j.catchUpRounds > MAX_CATCH_UP_ROUNDS) {
      throw runtime('SourceKeepsChanging', `the old account changed again during the copy (rev ${source.rev} → ${latest.rev}) ${MAX_CATCH_UP_ROUNDS} times`, {
        hint: 'stop posting from other apps while the migration runs',
      });
    }
    delete j.exported;
    delete j.source;
    resetFrom(j, 'export-repo', 'verify-copy');
    return { kind: 'restart', from: 'export-repo', note: `the old repository changed since the export (rev ${source.rev} → ${latest.rev}): copying again` };
  }
  const st = await checkAccountStatus(client);
  const missing = await missingBlobCids(client);
  j.gate = {
    sourceRecords: source.records,
    indexedRecords: st.indexedRecords,
    expectedBlobs: st.expectedBlobs,
    importedBlobs: st.importedBlobs,
    missingBlobs: missing.length,
    oldLatestRev: latest.rev,
    at: new Date().toISOString(),
  };
  checkCopyGate(st, missing, source.records, 'resuming copies what is missing', { gate: j.gate });
  return done(`new host holds ${st.indexedRecords}/${source.records} records and ${st.importedBlobs}/${st.expectedBlobs} blobs; none missing; old repo unchanged (rev ${latest.rev})`);
}

function entryMap(entries: readonly RepoEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [e.path, e.cid.toString()]));
}

export interface HostCopyCheck {
  /** The destination host, unauthenticated, and logged in as the account. */
  public: XrpcClient;
  client: XrpcClient;
  did: string;
  /** Every record (path, CID) of the source repository. */
  source: readonly RepoEntry[];
  /** The imported commit and the key it was verified with: the host serves it until the account's next write. */
  imported?: { commit: string; signingKey: string } | undefined;
  /** The host's signing key (any commit other than the imported one must verify with it). */
  hostKey: string;
  concurrency: number;
  signal?: AbortSignal | undefined;
  /** What to tell the user when the check fails. */
  failureHint: string;
}

/**
 * The destination holds the copy: its repository verifies (DID, signature) and holds every
 * (path, CID) of the source, it misses no blob its records reference, and every blob it lists
 * downloads with bytes that hash to its CID. Throws invalid (NewRepoInvalid, NewRepoIncomplete,
 * NewBlobsIncomplete, NewBlobsInvalid).
 */
export async function checkHostCopy(c: HostCopyCheck): Promise<{ records: number; blobsChecked: number; checkedWith: string; unchanged: boolean }> {
  // A host serves the imported commit — signed with the OLD key — until the account's next write
  // (the reference PDS does not re-sign on activation). That exact commit is checked against the
  // key it was verified with before; any other commit must be signed with the host's key.
  const latest = await getLatestCommit(c.public, c.did);
  const unchanged = c.imported !== undefined && latest.cid === c.imported.commit;
  const checkKey = unchanged ? c.imported!.signingKey : c.hostKey;
  const newEntries: RepoEntry[] = [];
  const res = await c.public.queryStream('com.atproto.sync.getRepo', { did: c.did });
  const report = await verifyRepoCar(res.body, { expectedDid: c.did, key: parseDidKey(checkKey), onEntry: (e) => newEntries.push(e) });
  if (!report.valid) {
    throw invalid('NewRepoInvalid', `the repository served by the new host does not verify with ${unchanged ? 'the key it was verified with before the import' : 'its signing key'} ${checkKey}: ${report.errors.slice(0, 3).join('; ')}`, {
      hint: c.failureHint,
    });
  }
  if (report.commit !== latest.cid && !unchanged) {
    throw invalid('NewRepoInvalid', `the new host's repository commit ${report.commit} is not its latest commit ${latest.cid}`, { hint: c.failureHint });
  }
  const have = entryMap(newEntries);
  const missingOnNew = c.source.filter((e) => have.get(e.path) !== e.cid.toString());
  if (missingOnNew.length > 0) {
    throw invalid('NewRepoIncomplete', `the new host's repository lacks ${missingOnNew.length} record${missingOnNew.length === 1 ? '' : 's'} of the source (${missingOnNew.slice(0, 3).map((e) => e.path).join(', ')})`, {
      hint: c.failureHint,
      details: { missing: missingOnNew.slice(0, 50).map((e) => e.path) },
    });
  }
  const st = await checkAccountStatus(c.client);
  const missing = await missingBlobCids(c.client);
  if (missing.length > 0 || st.importedBlobs !== st.expectedBlobs) {
    throw invalid('NewBlobsIncomplete', `the new host misses ${missing.length} blob${missing.length === 1 ? '' : 's'} (${st.importedBlobs}/${st.expectedBlobs} imported)`, { hint: c.failureHint });
  }
  const cids: string[] = [];
  for await (const cid of listBlobs(c.public, c.did)) cids.push(cid);
  const bad: string[] = [];
  await pool(
    cids,
    c.concurrency,
    async (cid) => {
      try {
        await downloadBlob(c.public, c.did, cid, { maxBytes: BLOB_MAX_BYTES, ...(c.signal ? { signal: c.signal } : {}) });
      } catch (err) {
        bad.push(`${cid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    c.signal,
  );
  if (bad.length > 0) {
    throw invalid('NewBlobsInvalid', `${bad.length} blob${bad.length === 1 ? '' : 's'} cannot be fetched intact from the new host: ${bad.slice(0, 3).join('; ')}`, { hint: c.failureHint });
  }
  return { records: report.records, blobsChecked: cids.length, checkedWith: checkKey, unchanged };
}

export async function verifyNewStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const keyDid = j.plc.newSigningKey;
  if (keyDid === undefined) throw runtime('NoSigningKey', "the new host's signing key is not known");
  const car = await checkExportedCar(run);
  const source = await listRepoEntries(fileChunks(car), 'the exported repository');
  const checked = await checkHostCopy({
    public: run.newPublic,
    client: await run.newClient(),
    did: run.did,
    source: source.entries,
    imported: j.source !== undefined ? { commit: j.source.commit, signingKey: j.source.signingKey } : undefined,
    hostKey: keyDid,
    concurrency: run.settings.blobConcurrency,
    signal: run.settings.signal,
    failureHint: 'the old account has NOT been deactivated',
  });
  j.verifyNew = { records: checked.records, missingOnNew: 0, blobsChecked: checked.blobsChecked, at: new Date().toISOString() };
  const how = checked.unchanged ? `is the imported commit, signed with ${checked.checkedWith} (the new key ${keyDid} signs from the next write on)` : `verifies with the new key ${keyDid}`;
  return done(`repository ${how}: ${checked.records} records (source ${source.entries.length}, none missing); ${checked.blobsChecked} blobs fetched with matching hashes`);
}
