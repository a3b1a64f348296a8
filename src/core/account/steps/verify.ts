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
import { checkAccountStatus, getLatestCommit, missingBlobCids } from '../admin.js';
import { resetFrom } from '../journal.js';
import { BLOB_MAX_BYTES } from './blobs.js';
import { done, pool, type MigrationRun, type StepOutcome } from './context.js';
import { checkExportedCar, fileChunks } from './repo.js';
import { downloadRepoCar } from '../../repo/remote.js';

/** How often the copy is redone because the old account kept changing. */
export const MAX_CATCH_UP_ROUNDS = 3;

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
  const problems: string[] = [];
  if (st.indexedRecords !== source.records) problems.push(`the new host indexed ${st.indexedRecords} records, the verified export holds ${source.records}`);
  if (st.importedBlobs !== st.expectedBlobs) problems.push(`the new host has ${st.importedBlobs} of the ${st.expectedBlobs} blobs its records reference`);
  if (missing.length > 0) problems.push(`the new host still lists ${missing.length} missing blob${missing.length === 1 ? '' : 's'} (${missing.slice(0, 3).join(', ')})`);
  if (problems.length > 0) {
    throw invalid('CopyIncomplete', `the new host does not hold everything yet: ${problems.join('; ')}`, {
      hint: 'resuming copies what is missing',
      details: { gate: j.gate },
    });
  }
  return done(`new host holds ${st.indexedRecords}/${source.records} records and ${st.importedBlobs}/${st.expectedBlobs} blobs; none missing; old repo unchanged (rev ${latest.rev})`);
}

function entryMap(entries: readonly RepoEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [e.path, e.cid.toString()]));
}

export async function verifyNewStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const keyDid = j.plc.newSigningKey;
  if (keyDid === undefined) throw runtime('NoSigningKey', "the new host's signing key is not known");
  const car = await checkExportedCar(run);
  const source = await listRepoEntries(fileChunks(car), 'the exported repository');
  // A host serves the imported commit — signed with the OLD key — until the account's next write
  // (the reference PDS does not re-sign on activation). That exact commit is checked against the
  // key it was verified with at export; any other commit must be signed with the new key.
  const latest = await getLatestCommit(run.newPublic, run.did);
  const unchanged = j.source !== undefined && latest.cid === j.source.commit;
  const checkKey = unchanged ? j.source!.signingKey : keyDid;
  const newEntries: RepoEntry[] = [];
  const res = await downloadRepoCar(run.newPublic, run.did);
  const report = await verifyRepoCar(res.body, { expectedDid: run.did, key: parseDidKey(checkKey), onEntry: (e) => newEntries.push(e) });
  if (!report.valid) {
    throw invalid('NewRepoInvalid', `the repository served by the new host does not verify with ${unchanged ? 'the key it was exported with' : 'its signing key'} ${checkKey}: ${report.errors.slice(0, 3).join('; ')}`, {
      hint: 'report this to the new host',
    });
  }
  if (report.commit !== latest.cid && !unchanged) {
    throw invalid('NewRepoInvalid', `the new host's repository commit ${report.commit} is not its latest commit ${latest.cid}`);
  }
  const have = entryMap(newEntries);
  const missingOnNew = source.entries.filter((e) => have.get(e.path) !== e.cid.toString());
  if (missingOnNew.length > 0) {
    throw invalid('NewRepoIncomplete', `the new host's repository lacks ${missingOnNew.length} record${missingOnNew.length === 1 ? '' : 's'} of the source (${missingOnNew.slice(0, 3).map((e) => e.path).join(', ')})`, {
      hint: 'the old account has NOT been deactivated',
      details: { missing: missingOnNew.slice(0, 50).map((e) => e.path) },
    });
  }
  const client = await run.newClient();
  const st = await checkAccountStatus(client);
  const missing = await missingBlobCids(client);
  if (missing.length > 0 || st.importedBlobs !== st.expectedBlobs) {
    throw invalid('NewBlobsIncomplete', `the new host misses ${missing.length} blob${missing.length === 1 ? '' : 's'} (${st.importedBlobs}/${st.expectedBlobs} imported)`, {
      hint: 'the old account has NOT been deactivated',
    });
  }
  const cids: string[] = [];
  for await (const cid of listBlobs(run.newPublic, run.did)) cids.push(cid);
  const bad: string[] = [];
  await pool(
    cids,
    run.settings.blobConcurrency,
    async (cid) => {
      try {
        await downloadBlob(run.newPublic, run.did, cid, { maxBytes: BLOB_MAX_BYTES, ...(run.settings.signal ? { signal: run.settings.signal } : {}) });
      } catch (err) {
        bad.push(`${cid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    run.settings.signal,
  );
  if (bad.length > 0) {
    throw invalid('NewBlobsInvalid', `${bad.length} blob${bad.length === 1 ? '' : 's'} cannot be fetched intact from the new host: ${bad.slice(0, 3).join('; ')}`, {
      hint: 'the old account has NOT been deactivated',
    });
  }
  j.verifyNew = { records: report.records, missingOnNew: 0, blobsChecked: cids.length, at: new Date().toISOString() };
  const how = unchanged ? `is the imported commit, signed with ${checkKey} (the new key ${keyDid} signs from the next write on)` : `verifies with the new key ${keyDid}`;
  return done(`repository ${how}: ${report.records} records (source ${source.entries.length}, none missing); ${cids.length} blobs fetched with matching hashes`);
}
