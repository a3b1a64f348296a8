/**
 * Preflight: everything checked before anything changes (and all that a dry run does).
 * - the session was made with the account password (not an app password): the old host issues a
 *   createAccount service-auth token for the new host, which needs full access;
 * - the identity is a did:plc whose document names the old host, and its audit log verifies;
 * - the new host describes itself, is a different host, accepts the handle's domain, and its
 *   invite and phone rules can be met;
 * - what the identity update will keep and replace (the old host's own rotation keys).
 */
import { AtcliError, authError, runtime, usage, type ErrorCode } from '../../errors.js';
import { parseDidDocument, resolveDid } from '../../identity/index.js';
import { PlcDirectoryClient } from '../../plc/directory.js';
import { verifyAuditLog, type OperationData } from '../../plc/index.js';
import { checkHandle } from '../../syntax/index.js';
import { XrpcClient, getSession, type SessionAuth } from '../../xrpc/index.js';
import {
  checkAccountStatus,
  describeServer,
  findRepoStatus,
  getRecommendedDidCredentials,
  handleInDomains,
  isAppPasswordSession,
  type ServerDescription,
} from '../admin.js';
import type { MigrationJournal } from '../journal.js';
import { requestServiceAuth } from '../service-auth.js';
import { Checklist, type PreflightCheck } from './checklist.js';
import type { RunSettings } from './context.js';

export type { PreflightCheck };

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
  account: { did: string; handle: string; email?: string; pds: string; active: boolean; status?: string };
  source?: { records: number; expectedBlobs: number; importedBlobs: number; repoRev: string };
  newHost: {
    url: string;
    did?: string;
    availableUserDomains: string[];
    inviteCodeRequired: boolean;
    phoneVerificationRequired: boolean;
    /** Whether the new host already has an account for the DID (null: unknown). */
    accountExists: boolean | null;
    accountActive?: boolean;
  };
  newHandle: string;
  newEmail?: string;
  identity?: {
    head: string;
    pds?: string;
    signingKey?: string;
    data: OperationData;
    oldHostKeys?: string[];
    keepRotationKeys?: string[];
    replaceRotationKeys?: string[];
    keepServices: string[];
  };
  warnings: string[];
}

export interface PreflightInput {
  settings: Pick<RunSettings, 'http' | 'identity' | 'dev' | 'inviteCode'>;
  oldClient: XrpcClient;
  oldAuth: SessionAuth;
  journal: MigrationJournal | null;
  to?: string;
  newHandle?: string;
  newEmail?: string;
  recoveryKey?: string;
  dryRun: boolean;
}

export interface PreflightResult {
  report: PreflightReport;
  /** The first failed check as an error (undefined when all passed). */
  error?: AtcliError;
  newPds: string;
  newPdsDid?: string;
  oldPds: string;
  identityMoved: boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const { oldClient, journal, settings } = input;
  const list = new Checklist();
  const { checks, warnings, pass, warn, fail } = list;
  const moved = journal !== null && journal.steps['submit-plc-op'].status === 'done';
  const oldDeactivated = journal !== null && journal.steps['deactivate-old'].status === 'done';

  // --- the old account and its session
  const session = await input.oldAuth.session();
  const oldPds = journal?.oldPds ?? oldClient.service;
  const info = await getSession(oldClient);
  const account: PreflightReport['account'] = {
    did: info.did,
    handle: info.handle,
    ...(info.email !== undefined ? { email: info.email } : {}),
    pds: oldClient.service,
    active: info.active !== false,
    ...(info.status !== undefined ? { status: info.status } : {}),
  };
  if (journal !== null && info.did !== journal.did) {
    throw usage('WrongAccount', `the logged-in account is ${info.did}, but this migration is for ${journal.did}`, {
      hint: 'log in to the account being migrated (on its old host)',
    });
  }
  if (isAppPasswordSession(session) || isAppPasswordSession(await input.oldAuth.session())) {
    fail('account password', authError('AppPasswordSession', 'this session was made with an app password; migration needs the account password', {
      hint: 'log in with the account password',
    }));
  }
  if (!account.active && !oldDeactivated) {
    fail('old account active', usage('OldAccountInactive', `the account on ${new URL(oldPds).host} is not active (${info.status ?? 'deactivated'})`, {
      hint: 'reactivate it first, or migrate from where it is active',
    }));
  } else if (account.active) pass('old account active', `${info.handle} (${info.did}) on ${new URL(oldPds).host}`);

  // --- the identity
  const did = info.did;
  if (!did.startsWith('did:plc:')) {
    throw usage('UnsupportedDidMethod', `${did} is not a did:plc: only PDS-managed did:plc identities can be migrated`, {
      hint: "a did:web identity moves by editing its did.json by hand: point #atproto_pds at the new host and #atproto at its signing key (the new host's recommended DID credentials name it)",
    });
  }
  pass('did:plc', did);
  let docPds: string | undefined;
  let docKey: string | undefined;
  try {
    const doc = await resolveDid(settings.identity, did, { noCache: true });
    const parsed = parseDidDocument(did, doc, { dev: settings.dev });
    docPds = parsed.pds;
    docKey = parsed.signingKey?.did();
    const expected = moved ? journal!.newPds : oldPds;
    if (parsed.pds !== expected) {
      fail('DID document', usage('PdsMismatch', `the DID document of ${did} names ${parsed.pds ?? 'no PDS'} as the account's PDS, not ${expected}`, {
        hint: moved ? 'the identity update may not have reached the directory yet; try again' : 'log in on the host the DID document names, then migrate from there',
      }));
    } else pass('DID document', `PDS ${parsed.pds}, signing key ${docKey ?? 'none'}`);
    if (docKey === undefined) fail('signing key', usage('NoSigningKey', `the DID document of ${did} has no usable atproto signing key`));
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    fail('DID document', err instanceof AtcliError ? err : usage('ResolveFailed', message(err)));
  }
  let identity: PreflightReport['identity'];
  try {
    const plc = new PlcDirectoryClient({ http: settings.http, plcUrl: settings.identity.plcUrl });
    const log = verifyAuditLog(did, await plc.getAuditLog(did));
    if (!log.valid || log.head === undefined || log.head.data === null) {
      fail('PLC audit log', usage('InvalidAuditLog', `the PLC audit log of ${did} does not verify: ${log.problems.slice(0, 2).join('; ') || 'no current operation'}`));
    } else {
      pass('PLC audit log', `${log.operations.length} operations verify; head ${log.head.cid}`);
      identity = {
        head: log.head.cid,
        ...(docPds !== undefined ? { pds: docPds } : {}),
        ...(docKey !== undefined ? { signingKey: docKey } : {}),
        data: log.head.data,
        keepServices: Object.keys(log.head.data.services).filter((s) => s !== 'atproto_pds'),
      };
    }
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    fail('PLC audit log', err instanceof AtcliError ? err : usage('PlcFailed', message(err)));
  }
  if (identity !== undefined && !moved) {
    try {
      const own = await getRecommendedDidCredentials(oldClient);
      identity.oldHostKeys = own.rotationKeys;
      identity.keepRotationKeys = identity.data.rotationKeys.filter((k) => !own.rotationKeys.includes(k));
      identity.replaceRotationKeys = identity.data.rotationKeys.filter((k) => own.rotationKeys.includes(k));
      if (identity.replaceRotationKeys.length === 0) {
        fail('old host manages the identity', usage('NotPdsManaged', `none of the rotation keys of ${did} belongs to ${new URL(oldPds).host}, so it cannot sign the identity update`, {
          hint: 'a self-managed identity is updated with operations signed by one of its own rotation keys',
        }));
      } else {
        pass('old host manages the identity', `its rotation key${identity.replaceRotationKeys.length === 1 ? '' : 's'} ${identity.replaceRotationKeys.join(', ')} will be replaced by the new host's`);
      }
      if (identity.keepRotationKeys.length > 0) pass('your rotation keys', `kept: ${identity.keepRotationKeys.join(', ')}`);
      if (identity.keepServices.length > 0) pass('your services', `kept: ${identity.keepServices.join(', ')}`);
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      warn('old host manages the identity', `could not ask the old host for its own keys: ${message(err)}`);
    }
  }

  // --- the new host
  const toRaw = input.to ?? journal?.newPds;
  if (toRaw === undefined) throw usage('MissingTarget', 'the new host is not known: give its URL');
  let newPds: string;
  try {
    newPds = new URL(toRaw).origin;
  } catch {
    throw usage('InvalidUrl', `the new host must be a URL, got "${toRaw.slice(0, 100)}"`);
  }
  if (journal !== null && newPds !== journal.newPds) {
    throw usage('TargetMismatch', `this migration goes to ${journal.newPds}, not ${newPds}`, { hint: 'resume towards the same host, or move the state file away to start a new migration' });
  }
  if (newPds === new URL(oldPds).origin) throw usage('SameHost', `the account is already on ${newPds}`);
  const newClient = new XrpcClient({ service: newPds, http: settings.http });
  let server: ServerDescription | undefined;
  const newHost: PreflightReport['newHost'] = { url: newPds, availableUserDomains: [], inviteCodeRequired: false, phoneVerificationRequired: false, accountExists: null };
  try {
    server = await describeServer(newClient);
    newHost.did = server.did;
    newHost.availableUserDomains = server.availableUserDomains;
    newHost.inviteCodeRequired = server.inviteCodeRequired;
    newHost.phoneVerificationRequired = server.phoneVerificationRequired;
    pass('new host', `${newPds} (${server.did})${server.availableUserDomains.length > 0 ? `, handles under ${server.availableUserDomains.join(', ')}` : ''}`);
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    fail('new host', runtime('NewHostUnreachable', `${newPds} does not answer com.atproto.server.describeServer: ${message(err)}`, { hint: "check the new host's URL, or try again when it is back" }));
  }
  if (server !== undefined) {
    try {
      const st = await findRepoStatus(newClient, did);
      newHost.accountExists = st !== null;
      if (st !== null) {
        newHost.accountActive = st.active;
        if (st.active && !(journal?.steps['activate'].status === 'done' || moved)) {
          fail('no active account on the new host', usage('AlreadyOnNewHost', `${newPds} already has an ACTIVE account for ${did}`, {
            hint: 'it looks migrated already: check where the DID document points and the account status on both hosts',
          }));
        } else {
          pass('account on the new host', st.active ? 'active' : `exists, ${st.status ?? 'deactivated'} (from an earlier attempt: it will be reused)`);
        }
      } else pass('account on the new host', 'none yet (it will be created deactivated)');
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      warn('account on the new host', `could not check: ${message(err)}`);
    }
    if (server.phoneVerificationRequired && newHost.accountExists !== true) {
      fail('phone verification', usage('PhoneVerificationRequired', `${newPds} requires phone verification for new accounts, which a migration cannot provide`));
    }
    if (server.inviteCodeRequired && newHost.accountExists !== true) {
      if (settings.inviteCode === undefined) {
        fail('invite code', usage('InviteCodeRequired', `${newPds} requires an invite code`));
      } else pass('invite code', 'given');
    }
  }

  // --- handle and e-mail for the new account
  const newHandle = (input.newHandle ?? journal?.newHandle ?? info.handle).toLowerCase().replace(/^@/, '');
  if (journal !== null && input.newHandle !== undefined && input.newHandle.toLowerCase() !== journal.newHandle) {
    throw usage('HandleMismatch', `this migration uses the handle ${journal.newHandle}`, { hint: 'resume with the same handle' });
  }
  const handleProblem = checkHandle(newHandle);
  if (handleProblem !== null || newHandle === 'handle.invalid') {
    fail('handle', usage('InvalidHandle', `"${newHandle}" cannot be the new account's handle${handleProblem ? `: ${handleProblem}` : ''}`, { hint: 'choose another handle for the new account' }));
  } else if (server !== undefined && newHost.accountExists !== true) {
    let oldDomains: string[] = [];
    try {
      oldDomains = (await describeServer(new XrpcClient({ service: oldPds, http: settings.http }))).availableUserDomains;
    } catch {
      /* only used to explain */
    }
    if (handleInDomains(newHandle, server.availableUserDomains)) {
      pass('handle', `${newHandle} (under the new host's domains)`);
    } else if (handleInDomains(newHandle, oldDomains)) {
      fail('handle', usage('HandleNotOnNewHost', `${newHandle} is a handle under the old host's domain, which ${new URL(newPds).host} does not serve`, {
        hint: `choose a handle on the new host${server.availableUserDomains.length > 0 ? ` (it offers ${server.availableUserDomains.join(', ')})` : ''}`,
        details: { availableUserDomains: server.availableUserDomains },
      }));
    } else {
      pass('handle', `${newHandle} (your own domain: the new host checks that it resolves to ${did})`);
    }
  } else pass('handle', newHandle);
  const newEmail = input.newEmail ?? journal?.newEmail ?? info.email;
  if (newEmail === undefined || newEmail === '') {
    fail('e-mail', usage('EmailRequired', 'the new account needs an e-mail address and the old host did not tell us yours'));
  } else pass('e-mail', newEmail);

  // --- the data to copy
  let source: PreflightReport['source'];
  if (!oldDeactivated) {
    try {
      const st = await checkAccountStatus(oldClient);
      source = { records: st.indexedRecords, expectedBlobs: st.expectedBlobs, importedBlobs: st.importedBlobs, repoRev: st.repoRev };
      pass('data to copy', `${st.indexedRecords} records, ${st.expectedBlobs} blobs (rev ${st.repoRev})`);
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      warn('data to copy', `checkAccountStatus on the old host failed: ${message(err)}`);
    }
  }

  // --- full-access session: the old host must issue a createAccount token for the new host
  if (server !== undefined && !moved && newHost.accountExists !== true && !checks.some((c) => c.name === 'account password' && !c.ok)) {
    try {
      await requestServiceAuth(oldClient, { aud: server.did, lxm: 'com.atproto.server.createAccount', expSeconds: 60 });
      pass('account password', 'the session has full access (the old host issues createAccount tokens for the new host)');
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      fail('account password', err instanceof AtcliError && err.code === 'AppPasswordNotAllowed'
        ? authError('AppPasswordSession', 'this session cannot get a createAccount token: it was made with an app password; migration needs the account password', { hint: err.hint })
        : usage('ServiceAuthFailed', `the old host would not issue a service-auth token for the new host: ${message(err)}`));
    }
  } else if (!checks.some((c) => c.name === 'account password')) {
    pass('account password', 'session is not an app-password session');
  }
  if (input.recoveryKey !== undefined) pass('recovery key', `${input.recoveryKey} will be rotation key #0 (highest priority)`);

  const report: PreflightReport = {
    ok: list.firstError === undefined,
    checks,
    account,
    ...(source !== undefined ? { source } : {}),
    newHost,
    newHandle,
    ...(newEmail !== undefined ? { newEmail } : {}),
    ...(identity !== undefined ? { identity } : {}),
    warnings,
  };
  return {
    report,
    ...(list.firstError !== undefined ? { error: list.firstError } : {}),
    newPds,
    ...(server !== undefined ? { newPdsDid: server.did } : {}),
    oldPds,
    identityMoved: moved,
  };
}
