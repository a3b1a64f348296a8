/**
 * Steps export-repo, verify-repo, import-repo (docs/account-migration.md). The new host's importRepo
 * checks neither the DID nor the signature, so the CAR is verified in full — every block hash, the
 * tree, the commit signature with the CURRENT key, the DID — before a byte of it is uploaded. The
 * verified CAR stays in the backup folder; its hash is checked again before each use.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { invalid, runtime } from '../../errors.js';
import { parseDidKey } from '../../crypto/index.js';
import { verifyRepoCar } from '../../repo/verify.js';
import { fileExists } from '../../util/atomic-file.js';
import { fileChunks, fileSha256 } from '../../util/file-chunks.js';
import type { XrpcClient } from '../../xrpc/index.js';
import { checkAccountStatus, type AccountStatus } from '../admin.js';
import { writeBackupFile } from '../journal.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';
import { downloadRepoCar } from '../../repo/remote.js';

export const CAR_FILE = 'repo.car';

export { fileChunks };

/** Throws unless the exported CAR is on disk unchanged. */
export async function checkExportedCar(run: MigrationRun): Promise<string> {
  const ex = run.journal.exported;
  if (ex === undefined) throw runtime('NoExport', 'the repository has not been exported yet');
  if (!(await fileExists(ex.carFile))) throw runtime('ExportMissing', `the exported repository ${ex.carFile} is gone`, { hint: 'resume: it will be exported again' });
  const sum = (await fileSha256(ex.carFile)).sha256;
  if (sum !== ex.carSha256) throw runtime('ExportChanged', `the exported repository ${ex.carFile} changed on disk since it was written`, { hint: 'resume: it will be exported again' });
  return ex.carFile;
}

export async function exportRepoStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const ex = j.exported;
  if (ex !== undefined && (await fileExists(ex.carFile)) && (await fileSha256(ex.carFile)).sha256 === ex.carSha256) {
    return done(`already exported (${ex.carBytes} bytes)`);
  }
  delete j.exported;
  delete j.source;
  const res = await downloadRepoCar(run.oldClient, run.did);
  const hash = createHash('sha256');
  let bytes = 0;
  const event = run.callbacks.event;
  async function* tee(): AsyncIterable<Uint8Array> {
    for await (const chunk of res.body) {
      run.throwIfAborted();
      hash.update(chunk);
      bytes += chunk.length;
      event?.({ kind: 'bytes', step: 'export-repo', done: bytes, total: res.contentLength });
      yield chunk;
    }
  }
  const written = await writeBackupFile(j.backupDir, CAR_FILE, tee());
  j.exported = { carFile: written.path, carBytes: bytes, carSha256: hash.digest('hex'), at: new Date().toISOString() };
  return done(`${bytes} bytes → ${written.path}`);
}

export async function verifyRepoStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const file = await checkExportedCar(run);
  const keyDid = j.oldIdentity?.signingKey;
  if (keyDid === undefined) throw runtime('NoSigningKey', 'the current signing key of the account is not known');
  const key = parseDidKey(keyDid);
  const report = await verifyRepoCar(fileChunks(file), {
    expectedDid: run.did,
    key,
    onProgress: (p) => run.callbacks.event?.({ kind: 'bytes', step: 'verify-repo', done: p.bytes, total: j.exported?.carBytes ?? null }),
  });
  if (!report.valid) {
    throw invalid('SourceRepoInvalid', `the repository exported from ${new URL(j.oldPds).host} does not verify: ${report.errors.slice(0, 3).join('; ')}`, {
      hint: 'nothing was imported and the old account is untouched; report the problem to the old host',
      details: { errors: report.errors.slice(0, 20) },
    });
  }
  for (const w of report.warnings.slice(0, 5)) run.warn(`repository: ${w}`);
  j.source = {
    rev: report.rev ?? '',
    commit: report.commit ?? '',
    records: report.records,
    blocks: report.blocks,
    collections: report.collections,
    signingKey: keyDid,
  };
  return done(`${report.records} records in ${report.blocks} blocks, rev ${report.rev}, signed by ${keyDid}, DID ${report.did}`);
}

/**
 * Imports a verified CAR file into the host (importRepo is idempotent: importing the same CAR again
 * changes nothing, so it may be retried) and returns the host's account status after it.
 */
export async function importCarFile(client: XrpcClient, file: string): Promise<AccountStatus> {
  const bytes = await readFile(file);
  await client.procedure('com.atproto.repo.importRepo', { bytes, contentType: 'application/vnd.ipld.car' }, { idempotent: true });
  return checkAccountStatus(client);
}

/** Throws runtime 'ImportIncomplete' unless the host indexed every record of the imported repository. */
export function checkImported(client: XrpcClient, st: AccountStatus, expectedRecords: number, failureHint: string): void {
  if (st.indexedRecords !== expectedRecords) {
    throw runtime('ImportIncomplete', `${new URL(client.service).host} indexed ${st.indexedRecords} records after the import, but the repository holds ${expectedRecords}`, {
      hint: failureHint,
    });
  }
}

export async function importRepoStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  if (j.source === undefined) throw runtime('NotVerified', 'the exported repository has not been verified');
  const file = await checkExportedCar(run);
  const client = await run.newClient();
  const st = await importCarFile(client, file);
  j.imported = { indexedRecords: st.indexedRecords, repoRev: st.repoRev, at: new Date().toISOString() };
  checkImported(client, st, j.source.records, 'the old account is untouched');
  return done(`${st.indexedRecords} records indexed by the new host (${st.expectedBlobs} blobs referenced)`);
}
