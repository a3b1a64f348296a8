/**
 * Steps service-auth and create-account (docs/account-migration.md): a createAccount token from the old
 * host for the new host's DID, then the deactivated account on the new host — or the one an
 * earlier, interrupted run created (found with getRepoStatus, then logged in to).
 */
import { runtime } from '../../errors.js';
import { XrpcError, type XrpcClient } from '../../xrpc/index.js';
import { checkAccountStatus, createAccount, findRepoStatus } from '../admin.js';
import { requestServiceAuth } from '../service-auth.js';
import { done, type HostSession, type MigrationRun, type StepOutcome } from './context.js';

const CREATE_ACCOUNT = 'com.atproto.server.createAccount';
/** Long enough for a slow create, far below the hour the PDS allows. */
const SERVICE_AUTH_SECONDS = 180;

async function fetchServiceAuth(run: MigrationRun): Promise<void> {
  const token = await requestServiceAuth(run.oldClient, { aud: run.journal.newPdsDid, lxm: CREATE_ACCOUNT, expSeconds: SERVICE_AUTH_SECONDS });
  if (token.iss !== '' && token.iss !== run.did) throw runtime('ServiceAuthMismatch', `the old host issued a token for ${token.iss}, not ${run.did}`);
  run.serviceAuth = token.token;
}

export async function serviceAuthStep(run: MigrationRun): Promise<StepOutcome> {
  const existing = await findRepoStatus(run.newPublic, run.did);
  if (existing !== null) return done('the new host already has the account: no token needed');
  await fetchServiceAuth(run);
  return done(`token for ${run.journal.newPdsDid} (lxm ${CREATE_ACCOUNT}, ${SERVICE_AUTH_SECONDS} s; kept in memory only)`);
}

/** What creating the account needs of a run (a migration's or a restore's). */
export interface AccountCreationRun {
  /** The destination host's session for the account (adopts the session createAccount returns). */
  newHost: HostSession;
  /** The destination host, unauthenticated. */
  newPublic: XrpcClient;
  did: string;
  journal: { newHandle: string; newEmail: string };
  settings: { inviteCode?: string | undefined };
  callbacks: { newPassword(): Promise<string> };
}

/**
 * The account for an existing DID on the destination host: created deactivated, or — when an
 * earlier run (possibly one killed before it could write its journal) created it already — found
 * with getRepoStatus and logged in to. `serviceAuth` gives a createAccount token for the
 * destination (`fresh`: the last one was refused as expired; it is replaced once).
 */
export async function createOrFindAccount(
  run: AccountCreationRun,
  serviceAuth: (fresh: boolean) => Promise<string>,
): Promise<{ existed: boolean; activated: boolean; indexedRecords: number; handle: string }> {
  const handle = run.journal.newHandle;
  const existing = await findRepoStatus(run.newPublic, run.did);
  if (existing !== null) {
    const st = await checkAccountStatus(await run.newHost.client());
    return { existed: true, activated: st.activated, indexedRecords: st.indexedRecords, handle };
  }
  const password = await run.callbacks.newPassword();
  const inviteCode = run.settings.inviteCode;
  const create = async (token: string) =>
    createAccount(run.newPublic, {
      did: run.did,
      handle,
      email: run.journal.newEmail,
      password,
      serviceAuth: token,
      ...(inviteCode !== undefined ? { inviteCode } : {}),
    });
  let created;
  try {
    created = await create(await serviceAuth(false));
  } catch (err) {
    // The service token may have expired while we waited for a prompt: get a fresh one once.
    if (err instanceof XrpcError && (err.xrpcError === 'BadJwt' || err.xrpcError === 'ExpiredToken' || /jwt|expired/i.test(err.message))) {
      created = await create(await serviceAuth(true));
    } else throw err;
  }
  run.newHost.adopt(created.session);
  const st = await checkAccountStatus(await run.newHost.client());
  return { existed: false, activated: st.activated, indexedRecords: st.indexedRecords, handle: created.handle };
}

export async function createAccountStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  let outcome;
  try {
    outcome = await createOrFindAccount(run, async (fresh) => {
      if (fresh || run.serviceAuth === undefined) await fetchServiceAuth(run);
      return run.serviceAuth!;
    });
  } finally {
    run.serviceAuth = undefined;
  }
  if (outcome.existed) {
    j.newAccount ??= { createdAt: new Date().toISOString(), existed: true };
    return done(`found the account created earlier (${outcome.activated ? 'active' : 'deactivated'}, ${outcome.indexedRecords} records)`);
  }
  j.newAccount = { createdAt: new Date().toISOString(), existed: false };
  if (outcome.activated) run.warn('the new host reports the new account as active already; it should start deactivated');
  return done(`created ${outcome.handle} on ${new URL(j.newPds).host} (deactivated)`);
}
