/**
 * Steps service-auth and create-account (docs/account-migration.md): a createAccount token from the old
 * host for the new host's DID, then the deactivated account on the new host — or the one an
 * earlier, interrupted run created (found with getRepoStatus, then logged in to).
 */
import { runtime } from '../../errors.js';
import { XrpcError } from '../../xrpc/index.js';
import { checkAccountStatus, createAccount, findRepoStatus } from '../admin.js';
import { requestServiceAuth } from '../service-auth.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';

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

export async function createAccountStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const existing = await findRepoStatus(run.newPublic, run.did);
  if (existing !== null) {
    // Created by an earlier run (possibly one killed before it could write the journal).
    const client = await run.newClient();
    const st = await checkAccountStatus(client);
    j.newAccount ??= { createdAt: new Date().toISOString(), existed: true };
    return done(`found the account created earlier (${st.activated ? 'active' : 'deactivated'}, ${st.indexedRecords} records)`);
  }
  if (run.serviceAuth === undefined) await fetchServiceAuth(run);
  const password = await run.callbacks.newPassword();
  let created;
  try {
    created = await createAccount(run.newPublic, {
      did: run.did,
      handle: j.newHandle,
      email: j.newEmail,
      password,
      serviceAuth: run.serviceAuth!,
      ...(run.settings.inviteCode !== undefined ? { inviteCode: run.settings.inviteCode } : {}),
    });
  } catch (err) {
    // The service token may have expired while we waited for a prompt: get a fresh one once.
    if (err instanceof XrpcError && (err.xrpcError === 'BadJwt' || err.xrpcError === 'ExpiredToken' || /jwt|expired/i.test(err.message))) {
      await fetchServiceAuth(run);
      created = await createAccount(run.newPublic, {
        did: run.did,
        handle: j.newHandle,
        email: j.newEmail,
        password,
        serviceAuth: run.serviceAuth!,
        ...(run.settings.inviteCode !== undefined ? { inviteCode: run.settings.inviteCode } : {}),
      });
    } else throw err;
  } finally {
    run.serviceAuth = undefined;
  }
  run.useNewSession(created.session);
  j.newAccount = { createdAt: new Date().toISOString(), existed: false };
  const client = await run.newClient();
  const st = await checkAccountStatus(client);
  if (st.activated) run.warn('the new host reports the new account as active already; it should start deactivated');
  return done(`created ${created.handle} on ${new URL(j.newPds).host} (deactivated)`);
}
