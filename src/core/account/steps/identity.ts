/**
 * The identity steps (docs/account-migration.md). The e-mail token is requested only once the copy
 * is verified, so it cannot expire during a long blob copy. The update is built from the new
 * host's recommended credentials, keeping the user's own rotation keys, services, verification
 * methods and handles; shown as a diff and confirmed; signed by the old host; checked locally
 * (signature by an authorised key, prev is the head, exactly the planned fields); submitted via
 * the new host; and the DID is resolved again without cache until it names the new host and key.
 */
import { AtcliError, runtime, usage } from '../../errors.js';
import { parseDidDocument, resolveDid } from '../../identity/index.js';
import { operationCid, parseOperation, verifyAuditLog } from '../../plc/index.js';
import { XrpcError } from '../../xrpc/index.js';
import {
  getLatestCommit,
  getRecommendedDidCredentials,
  requestPlcOperationSignature,
  signPlcOperation,
  submitPlcOperation,
} from '../admin.js';
import { resetFrom, writeBackupFile } from '../journal.js';
import { checkSignedMigrationOp, planMigrationOperation, sameOperationData } from '../plc-op.js';
import type { PlcDirectoryClient } from '../../plc/directory.js';
import type { OperationData } from '../../plc/index.js';
import { done, sleep, type MigrationRun, type RunSettings, type StepOutcome } from './context.js';
import { MAX_CATCH_UP_ROUNDS } from './verify.js';

export const AUDIT_LOG_FILE = 'plc-audit-log.json';

async function auditHead(run: MigrationRun): Promise<{ entries: unknown[]; head: string }> {
  const entries = await run.plc.getAuditLog(run.did);
  const log = verifyAuditLog(run.did, entries);
  if (!log.valid || log.head === undefined) {
    throw runtime('InvalidAuditLog', `the PLC audit log of ${run.did} does not verify: ${log.problems.slice(0, 2).join('; ')}`);
  }
  return { entries, head: log.head.cid };
}

/** Forget the signed operation and go back to asking for a new token. */
function resign(run: MigrationRun, why: string): StepOutcome {
  const plc = run.journal.plc;
  delete plc.signedOp;
  delete plc.opCid;
  delete plc.signedAt;
  delete plc.tokenRequestedAt;
  resetFrom(run.journal, 'request-plc-token', 'check-plc-op');
  return { kind: 'restart', from: 'request-plc-token', note: why };
}

export async function requestPlcTokenStep(run: MigrationRun): Promise<StepOutcome> {
  const plc = run.journal.plc;
  if (plc.signedOp !== undefined) return done('the operation is already signed');
  if (run.plcToken !== undefined) return done('using the token given (no new one requested)');
  await requestPlcOperationSignature(run.oldClient);
  plc.tokenRequestedAt = new Date().toISOString();
  plc.tokenRequests++;
  run.info(`${new URL(run.journal.oldPds).host} e-mailed a confirmation code to the account's e-mail address`);
  return done(`token requested from ${new URL(run.journal.oldPds).host} (valid for about 15 minutes)`);
}

export async function buildPlcOpStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  if (j.plc.signedOp !== undefined) return done('the operation is already signed');
  const { entries, head } = await auditHead(run);
  const log = verifyAuditLog(run.did, entries);
  const current = log.head!.data;
  if (current === null) throw runtime('Tombstoned', `${run.did} is deactivated in the PLC directory`);
  await writeBackupFile(j.backupDir, AUDIT_LOG_FILE, `${JSON.stringify(entries, null, 2)}\n`);
  const own = await getRecommendedDidCredentials(run.oldClient);
  const client = await run.newClient();
  const recommended = await getRecommendedDidCredentials(client);
  const plan = planMigrationOperation({
    current,
    prev: head,
    oldHostKeys: own.rotationKeys,
    recommended,
    ...(j.recoveryKey !== undefined ? { recoveryKey: j.recoveryKey } : {}),
  });
  const endpoint = plan.planned.services['atproto_pds']?.endpoint;
  if (endpoint !== undefined && new URL(endpoint).origin !== new URL(j.newPds).origin) {
    run.warn(`the new host names its public URL ${endpoint}, not ${j.newPds}; the DID document will point at ${endpoint}`);
  }
  j.plc.oldHostKeys = own.rotationKeys;
  j.plc.prev = head;
  j.plc.planned = plan.planned;
  j.plc.keptRotationKeys = plan.keptRotationKeys;
  j.plc.keptServices = plan.keptServices;
  j.plc.changes = plan.changes.map((c) => c.message);
  j.plc.warnings = plan.warnings;
  j.plc.newSigningKey = plan.planned.verificationMethods['atproto'];
  for (const w of plan.warnings) run.warn(w);
  return done(`${plan.changes.length} changes; keeps ${plan.keptRotationKeys.length} rotation key(s) and ${plan.keptServices.length} service(s) of yours`);
}

export async function signPlcOpStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const plc = j.plc;
  const { head } = await auditHead(run);
  if (plc.signedOp !== undefined && plc.opCid !== undefined) {
    if (head === plc.opCid) return done('already signed and submitted');
    const op = parseOperation(plc.signedOp);
    if (op.prev === head) return done('already signed (still on the current head)');
    return resign(run, 'the signed operation went stale (another operation landed first): signing again');
  }
  if (plc.planned === undefined || plc.prev === undefined) {
    resetFrom(j, 'build-plc-op', 'check-plc-op');
    return { kind: 'restart', from: 'build-plc-op', note: 'no planned operation: building it' };
  }
  if (plc.prev !== head) {
    resetFrom(j, 'build-plc-op', 'check-plc-op');
    return { kind: 'restart', from: 'build-plc-op', note: 'the identity changed since the operation was planned: planning again' };
  }
  run.callbacks.event?.({ kind: 'plc-diff', changes: plc.changes ?? [], warnings: plc.warnings ?? [] });
  const token = run.plcToken ?? (await run.callbacks.plcToken({ oldPds: j.oldPds, ...(plc.tokenRequestedAt !== undefined ? { requestedAt: plc.tokenRequestedAt } : {}) }));
  if (token === undefined || token.trim() === '') {
    return { kind: 'stop', reason: 'waiting-for-plc-token', note: 'waiting for the PLC token from the e-mail' };
  }
  const ok = await run.callbacks.confirmIdentity({
    did: run.did,
    handle: j.newHandle,
    oldPds: j.oldPds,
    newPds: j.newPds,
    changes: plc.changes ?? [],
    planned: plc.planned,
    warnings: plc.warnings ?? [],
  });
  if (!ok) throw usage('Cancelled', 'cancelled at the confirmation: nothing was signed; the old account is unchanged and active', { hint: 'the migration can be resumed later' });
  let signed: unknown;
  try {
    signed = await signPlcOperation(run.oldClient, { token: token.trim(), ...plc.planned });
  } catch (err) {
    if (err instanceof AtcliError && err.code === 'PlcTokenRejected') {
      run.plcToken = undefined;
      if (run.tokenRerequested) throw err;
      run.tokenRerequested = true;
      run.warn(`${err.message}: requesting a new token`);
      return resign(run, 'the token was refused: requesting a new one');
    }
    throw err;
  }
  const op = parseOperation(signed);
  plc.signedOp = signed;
  plc.opCid = operationCid(op);
  plc.signedAt = new Date().toISOString();
  run.plcToken = undefined;
  return done(`signed by the old host: operation ${plc.opCid} (prev ${op.prev})`);
}

export async function checkPlcOpStep(run: MigrationRun): Promise<StepOutcome> {
  const plc = run.journal.plc;
  if (plc.signedOp === undefined || plc.planned === undefined) return resign(run, 'no signed operation: signing again');
  const entries = await run.plc.getAuditLog(run.did);
  const check = checkSignedMigrationOp(run.did, entries, plc.signedOp, {
    planned: plc.planned,
    keptRotationKeys: plc.keptRotationKeys ?? [],
    keptServices: plc.keptServices ?? [],
    ...(run.journal.recoveryKey !== undefined ? { recoveryKey: run.journal.recoveryKey } : {}),
  });
  if (check.stale && check.problems.length === 1) return resign(run, check.problems[0]!);
  if (check.problems.length > 0) {
    throw runtime('PlcOperationRefused', `the signed operation fails the local checks and was NOT submitted: ${check.problems.join('; ')}`, {
      hint: 'your identity and the old account are unchanged; report this to the old host',
      details: { problems: check.problems },
    });
  }
  for (const w of check.warnings) run.warn(w);
  if (check.alreadyApplied) return done('the directory already has this operation');
  return done(`signature by rotation key #${check.signedBy?.keyIndex} ${check.signedBy?.key}; prev ${check.operation.prev} is the head; exactly the planned fields`);
}

export async function submitPlcOpStep(run: MigrationRun): Promise<StepOutcome> {
  const plc = run.journal.plc;
  if (plc.signedOp === undefined || plc.opCid === undefined) return resign(run, 'no signed operation: signing again');
  const before = await auditHead(run);
  if (before.head === plc.opCid) {
    plc.submittedAt ??= new Date().toISOString();
    return done('already in the directory');
  }
  // Last look at the old repository before the identity moves: a post made since the export
  // would be lost, so the copy is redone first (the signed operation stays valid and is reused).
  const source = run.journal.source;
  if (source !== undefined) {
    const latest = await getLatestCommit(run.oldClient, run.did);
    if (latest.rev !== source.rev) {
      run.journal.catchUpRounds++;
      if (run.journal.catchUpRounds > MAX_CATCH_UP_ROUNDS) {
        throw runtime('SourceKeepsChanging', `the old account changed again (rev ${source.rev} → ${latest.rev}) ${MAX_CATCH_UP_ROUNDS} times`, {
          hint: 'stop posting from other apps while the migration runs',
        });
      }
      delete run.journal.exported;
      delete run.journal.source;
      resetFrom(run.journal, 'export-repo', 'verify-copy');
      return { kind: 'restart', from: 'export-repo', note: `the old repository changed since the export (rev ${source.rev} → ${latest.rev}): copying again before the identity moves` };
    }
  }
  const client = await run.newClient();
  try {
    await submitPlcOperation(client, plc.signedOp);
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    const after = await auditHead(run).catch(() => undefined);
    if (after?.head === plc.opCid) {
      plc.submittedAt = new Date().toISOString();
      return done('in the directory (the new host answered with an error, but the operation landed)');
    }
    const op = parseOperation(plc.signedOp);
    if (after !== undefined && after.head !== op.prev) return resign(run, 'another operation landed first: signing again');
    if (err instanceof XrpcError) {
      throw runtime('PlcSubmitFailed', `the new host refused to submit the identity update: ${err.message}`, {
        hint: 'fix the cause, then resume',
      });
    }
    throw err;
  }
  const last = await auditHead(run);
  if (last.head !== plc.opCid) {
    throw runtime('SubmitNotConfirmed', `the new host accepted the operation, but the directory's head is ${last.head}, not ${plc.opCid}`, {
      hint: "check the DID's PLC history, then resume",
    });
  }
  plc.submittedAt = new Date().toISOString();
  return done(`the directory's head is now ${plc.opCid}`);
}

/**
 * Resolves the DID again, without cache, until the directory's data is `planned` and the DID
 * document names its PDS and signing key (a directory or cache may lag for a moment). Returns a
 * one-line summary; throws runtime 'IdentityNotMoved' with what still differs.
 */
export async function waitForIdentity(
  settings: Pick<RunSettings, 'identity' | 'dev' | 'signal'>,
  plc: PlcDirectoryClient,
  did: string,
  planned: OperationData,
  failureHint: string,
): Promise<string> {
  const wantPds = planned.services['atproto_pds']?.endpoint;
  const wantKey = planned.verificationMethods['atproto'];
  let last = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const data = await plc.getData(did);
    const doc = await resolveDid(settings.identity, did, { noCache: true });
    const parsed = parseDidDocument(did, doc, { dev: settings.dev });
    const pdsOk = wantPds !== undefined && parsed.pds === new URL(wantPds).origin;
    const keyOk = parsed.signingKey?.did() === wantKey;
    const dataOk = sameOperationData(data, planned);
    if (pdsOk && keyOk && dataOk) return `${did} resolves to ${parsed.pds} with signing key ${wantKey}`;
    last = [!pdsOk ? `PDS ${parsed.pds ?? 'none'}` : '', !keyOk ? `signing key ${parsed.signingKey?.did() ?? 'none'}` : '', !dataOk ? 'the PLC data differs from the plan' : ''].filter(Boolean).join(', ');
    await sleep(500, settings.signal);
  }
  throw runtime('IdentityNotMoved', `the DID does not resolve as planned yet (${last})`, { hint: failureHint });
}

export async function verifyIdentityStep(run: MigrationRun): Promise<StepOutcome> {
  const planned = run.journal.plc.planned;
  if (planned === undefined) throw runtime('NoPlan', 'the planned identity is not known');
  const summary = await waitForIdentity(run.settings, run.plc, run.did, planned, 'the directory may need a minute');
  return done(`${summary}; your rotation keys and services are in place`);
}
