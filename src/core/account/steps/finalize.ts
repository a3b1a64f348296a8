/**
 * Finalising (docs/account-migration.md): activate the new account and check it reports active; only
 * then — with the new host verified (verify-new) and checked active again right before — deactivate
 * the old account (never deleted: the old host can help with a PLC recovery for 72 h). The final
 * report compares both sides: records, blobs, preferences, identity, status.
 */
import { AtcliError, runtime } from '../../errors.js';
import { listRepoEntries } from '../../repo/read.js';
import { listBlobs } from '../../blob/index.js';
import { getSession, type XrpcClient } from '../../xrpc/index.js';
import { activateAccount, checkAccountStatus, deactivateAccount, getPreferences, missingBlobCids } from '../admin.js';
import { isDone, type MigrationReport, type SideSummary } from '../journal.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';
import { fileChunks } from './repo.js';
import { downloadRepoCar } from '../../repo/remote.js';

/**
 * Activates the account on the host and checks it reports active with a DID document pointing at
 * it. Returns whether it was active already. Throws runtime 'ActivationFailed'.
 */
export async function activateOnHost(client: XrpcClient, failureHint: string): Promise<boolean> {
  const before = await checkAccountStatus(client);
  if (!before.activated) await activateAccount(client);
  const after = await checkAccountStatus(client);
  if (!after.activated) throw runtime('ActivationFailed', `${new URL(client.service).host} still reports the account as not active after activateAccount`, { hint: failureHint });
  if (!after.validDid) throw runtime('ActivationFailed', `${new URL(client.service).host} says the DID document does not point at it`, { hint: failureHint });
  const session = await getSession(client);
  if (session.active === false) throw runtime('ActivationFailed', `${new URL(client.service).host}'s session says the account is ${session.status ?? 'inactive'}`, { hint: failureHint });
  return before.activated;
}

export async function activateStep(run: MigrationRun): Promise<StepOutcome> {
  const already = await activateOnHost(await run.newClient(), 'the old account is still active; the directory may need a minute');
  run.journal.activation = { ...run.journal.activation, activatedAt: new Date().toISOString() };
  return done(already ? 'already active' : 'active (checkAccountStatus: activated, validDid)');
}

export async function deactivateOldStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  if (!isDone(j, 'activate') || !isDone(j, 'verify-new')) {
    throw runtime('NotVerified', 'refusing to deactivate the old account: the new one is not verified active');
  }
  const client = await run.newClient();
  const now = await checkAccountStatus(client);
  if (!now.activated) throw runtime('NewNotActive', 'refusing to deactivate the old account: the new host does not report the new one active right now');
  const info = await getSession(run.oldClient);
  if (info.active !== false) await deactivateAccount(run.oldClient);
  const after = await getSession(run.oldClient);
  if (after.active !== false) throw runtime('DeactivationFailed', `the old host still reports the old account as active`, { hint: 'resuming tries again; or deactivate it on the old host later' });
  j.activation = { ...j.activation, oldDeactivatedAt: new Date().toISOString() };
  return done(info.active === false ? 'already deactivated' : `deactivated on ${new URL(j.oldPds).host} (not deleted: it can help with a PLC recovery for 72 hours)`);
}

async function countBlobs(client: XrpcClient, did: string): Promise<number> {
  let n = 0;
  for await (const _cid of listBlobs(client, did)) n++;
  return n;
}

async function repoPaths(client: XrpcClient, did: string): Promise<Map<string, string>> {
  const res = await downloadRepoCar(client, did);
  const { entries } = await listRepoEntries(res.body, `the repository of ${did} on ${new URL(client.service).host}`);
  return new Map(entries.map((e) => [e.path, e.cid.toString()]));
}

export async function reportStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const newClient = await run.newClient();
  const soft = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      return null;
    }
  };
  // Old side (deactivated now: read with its own session, which the old host still honours).
  const oldInfo = await soft(() => getSession(run.oldClient));
  const oldPaths = (await soft(() => repoPaths(run.oldClient, run.did))) ?? (j.exported ? await soft(async () => new Map((await listRepoEntries(fileChunks(j.exported!.carFile), 'the export')).entries.map((e) => [e.path, e.cid.toString()]))) : null);
  const oldBlobs = await soft(() => countBlobs(run.oldClient, run.did));
  // New side.
  const st = await checkAccountStatus(newClient);
  const newInfo = await getSession(newClient);
  const newPaths = await repoPaths(run.newPublic, run.did);
  const newBlobs = await countBlobs(run.newPublic, run.did);
  const missing = await missingBlobCids(newClient);
  const source = oldPaths ?? new Map<string, string>();
  let missingOnNew = 0;
  for (const [p, c] of source) if (newPaths.get(p) !== c) missingOnNew++;
  let extraOnNew = 0;
  for (const p of newPaths.keys()) if (!source.has(p)) extraOnNew++;
  const newPrefs = await soft(() => getPreferences(newClient));
  const oldPrefs = await soft(() => getPreferences(run.oldClient));
  const data = await run.plc.getData(run.did);
  const oldSide: SideSummary = {
    pds: j.oldPds,
    active: oldInfo ? oldInfo.active !== false : null,
    ...(oldInfo?.status !== undefined ? { status: oldInfo.status } : {}),
    records: oldPaths?.size ?? null,
    blobs: oldBlobs,
    ...(j.source ? { repoRev: j.source.rev } : {}),
  };
  const newSide: SideSummary = {
    pds: j.newPds,
    active: newInfo.active !== false && st.activated,
    ...(newInfo.status !== undefined ? { status: newInfo.status } : {}),
    records: st.indexedRecords,
    blobs: newBlobs,
    repoRev: st.repoRev,
  };
  const report: MigrationReport = {
    did: run.did,
    handle: newInfo.handle,
    old: oldSide,
    new: newSide,
    records: { source: source.size, new: newPaths.size, missingOnNew, extraOnNew, identical: missingOnNew === 0 && extraOnNew === 0 },
    blobs: { old: oldBlobs, new: newBlobs, missingOnNew: missing.length, expected: st.expectedBlobs, imported: st.importedBlobs },
    preferences: {
      count: newPrefs?.length ?? 0,
      identical: newPrefs !== null && oldPrefs !== null ? canonicalJson(newPrefs) === canonicalJson(oldPrefs) : null,
    },
    identity: {
      pds: data.services['atproto_pds']?.endpoint ?? null,
      signingKey: data.verificationMethods['atproto'] ?? null,
      rotationKeys: data.rotationKeys,
      keptRotationKeys: (j.plc.keptRotationKeys ?? []).filter((k) => data.rotationKeys.includes(k)),
      services: Object.keys(data.services),
      keptServices: (j.plc.keptServices ?? []).filter((s) => s in data.services),
      alsoKnownAs: data.alsoKnownAs,
    },
    backupDir: j.backupDir,
    at: new Date().toISOString(),
  };
  j.report = report;
  return done(`records ${report.records.new}/${report.records.source}, blobs ${report.blobs.new}${report.blobs.old !== null ? `/${report.blobs.old}` : ''}, new host active, old host ${oldSide.active === false ? 'deactivated' : 'still active'}`);
}
