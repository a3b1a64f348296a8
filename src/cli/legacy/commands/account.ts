import { createHmac } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { fields, ndjsonLine, printResult, stderrChalk, stdoutChalk, writeStdout } from '../output.js';
import { formatBytes, progressBar, type ProgressBar } from '../progress.js';
import { confirmAction, promptSecret, promptText, readSmallInput } from '../prompt.js';
import { openSession, pdsForLogin } from '../session.js';
import { FileSessionStore } from '../../../core/account/session-store.js';
import {
  activateAccount,
  checkAccountStatus,
  createAccount,
  deactivateAccount,
  describeServer,
  getRecommendedDidCredentials,
  getRepoStatus,
  isAppPasswordSession,
  listMissingBlobs,
  requestPlcOperationSignature,
  signPlcOperation,
  submitPlcOperation,
  type DidCredentials,
} from '../../../core/account/admin.js';
import { journalFileName } from '../../../core/account/journal.js';
import { migrateAccount, type IdentityConfirmation, type MigrationCallbacks, type MigrationHooks, type MigrationResult } from '../../../core/account/migrate.js';
import { checkSignedUpdate } from '../../../core/account/plc-op.js';
import { requestServiceAuth, signServiceAuth, type ServiceAuthToken } from '../../../core/account/service-auth.js';
import { parseDidKey, parsePrivateKeyText, type KeyType } from '../../../core/crypto/index.js';
import { AtcliError, authError, invalid, isAtcliError, notFound, runtime, usage } from '../../../core/errors.js';
import { resolveIdentity } from '../../../core/identity/index.js';
import { PlcDirectoryClient } from '../../../core/plc/directory.js';
import { checkOperationForBuild, diffOperationData, formatBuildIssue, operationCid, parseOperation, verifyAuditLog } from '../../../core/plc/index.js';
import { checkDatetime } from '../../../core/syntax/index.js';
import { XrpcClient, XrpcError, getSession, login, logout } from '../../../core/xrpc/index.js';

const KEY_TYPE_HOW = 'add --key-type k256 or --key-type p256';

export async function loginCommand({ ctx, opts }: CommandRun): Promise<void> {
  const identifier = (opts.identifier as string | undefined) ?? ctx.env.ATCLI_IDENTIFIER ?? (await promptText(ctx, 'Handle, DID or e-mail', '-u/--identifier or ATCLI_IDENTIFIER'));
  const pds = await pdsForLogin(ctx, identifier, opts.pds as string | undefined);
  const password = ctx.env.ATCLI_PASSWORD ?? (await promptSecret(ctx, `Password for ${identifier}`, 'the ATCLI_PASSWORD environment variable'));
  const session = await login(pds, identifier, password, { http: await ctx.httpConfig(), authFactorToken: ctx.env.ATCLI_AUTH_FACTOR_TOKEN });
  const store = new FileSessionStore(ctx.configDir);
  await store.write(ctx.profile, session);
  if (session.appPassword) ctx.info('note: logged in with an app password; PLC operations and account migration need the account password');
  const result = { did: session.did, handle: session.handle, pds: session.pds, profile: ctx.profile, sessionFile: store.path(ctx.profile) };
  await printResult(ctx, result, (r) => `logged in as ${r.handle} (${r.did}) on ${r.pds}\nsession stored for profile "${r.profile}" in ${r.sessionFile}`);
}

export async function logoutCommand({ ctx }: CommandRun): Promise<void> {
  const store = new FileSessionStore(ctx.configDir);
  const session = await store.read(ctx.profile);
  let revoked = false;
  if (session) revoked = await logout(session, { http: await ctx.httpConfig() });
  const removed = await store.remove(ctx.profile);
  const result = { profile: ctx.profile, loggedOut: removed, revoked };
  await printResult(ctx, result, (r) =>
    r.loggedOut ? `logged out of profile "${r.profile}"${r.revoked ? '' : ' (the server did not confirm the session was revoked)'}` : `profile "${r.profile}" had no stored login`,
  );
}

export async function whoamiCommand({ ctx }: CommandRun): Promise<void> {
  const { client, session, source, auth } = await openSession(ctx);
  const info = await getSession(client);
  const current = await auth.session();
  const result = {
    did: info.did,
    handle: info.handle,
    pds: current.pds,
    email: info.email,
    emailConfirmed: info.emailConfirmed,
    active: info.active ?? true,
    status: info.status,
    profile: source === 'profile' ? ctx.profile : null,
    source,
    appPassword: session.appPassword ?? false,
  };
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['handle', r.handle],
      ['did', r.did],
      ['pds', r.pds],
      ['email', r.email === undefined ? undefined : `${r.email}${r.emailConfirmed ? '' : ' (unconfirmed)'}`],
      ['active', r.active ? 'yes' : `no${r.status ? ` (${r.status})` : ''}`],
      ['session', r.source === 'profile' ? `profile "${r.profile}"` : 'ATCLI_IDENTIFIER / ATCLI_PASSWORD (not stored)'],
    ]),
  );
}

// ==========================================================================================
// Account management beyond login: create, service-auth, activate/deactivate, status,
// missing-blobs, PDS-managed PLC operations, and migrate.
// ==========================================================================================

const PLC_TOKEN_ENV = 'ATCLI_PLC_TOKEN';
const NEW_PASSWORD_ENV = 'ATCLI_NEW_PASSWORD';
const SIGNING_KEY_ENV = 'ATCLI_SIGNING_KEY';

function secretOnCommandLine(): AtcliError {
  return usage('SecretOnCommandLine', 'that looks like a private key: it must never be passed on the command line (shell history, process lists)', {
    hint: `put it in a file and use --key-file <path>, or set ${SIGNING_KEY_ENV}`,
  });
}

/** The new account's password: ATCLI_NEW_PASSWORD, else a hidden prompt (asked twice when creating). */
async function newAccountPassword(ctx: Context, what: string, confirmTwice: boolean): Promise<string> {
  const env = ctx.env[NEW_PASSWORD_ENV];
  if (env !== undefined && env !== '') return env;
  const first = await promptSecret(ctx, `Password for ${what}`, `the ${NEW_PASSWORD_ENV} environment variable`);
  if (confirmTwice) {
    const again = await promptSecret(ctx, 'Repeat the password', `the ${NEW_PASSWORD_ENV} environment variable`);
    if (again !== first) throw usage('PasswordMismatch', 'the two passwords differ');
  }
  return first;
}

async function publicClient(ctx: Context, url: string): Promise<XrpcClient> {
  return new XrpcClient({ service: url, http: await ctx.httpConfig() });
}

function statePath(ctx: Context, did: string, given: string | undefined): string {
  if (given !== undefined && given !== '') return given;
  const base = ctx.env.XDG_STATE_HOME && ctx.env.XDG_STATE_HOME !== '' ? ctx.env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'atcli', journalFileName(did));
}

// ------------------------------------------------------------------------------------------
// account create

export async function createCommand({ ctx, opts }: CommandRun): Promise<void> {
  const pds = opts.pds as string;
  const handle = (opts.handle as string).replace(/^@/, '');
  const email = opts.email as string;
  const existingDid = opts.existingDid as string | undefined;
  const serviceAuth = opts.serviceAuth as string | undefined;
  if (existingDid !== undefined && serviceAuth === undefined) {
    throw usage('ServiceAuthRequired', '--existing-did needs --service-auth <jwt> from the DID\'s current PDS', {
      hint: 'get one there with: atcli account service-auth --aud <new PDS DID> --lxm com.atproto.server.createAccount',
    });
  }
  if (serviceAuth !== undefined && existingDid === undefined) throw usage('DidRequired', '--service-auth goes with --existing-did <did>', { hint: 'a service-auth token proves control of an existing DID; without one, the PDS creates a new DID' });
  const client = await publicClient(ctx, pds);
  const server = await describeServer(client);
  if (server.inviteCodeRequired && opts.inviteCode === undefined) throw usage('InviteCodeRequired', `${client.service} requires an invite code`, { hint: 'pass --invite-code <code>' });
  const password = await newAccountPassword(ctx, `the new account ${handle}`, true);
  const created = await createAccount(client, {
    handle,
    email,
    password,
    ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode as string } : {}),
    ...(existingDid !== undefined ? { did: existingDid, serviceAuth: serviceAuth! } : {}),
    ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey as string } : {}),
  });
  const result = { did: created.did, handle: created.handle, pds: client.service, deactivated: existingDid !== undefined };
  await printResult(ctx, result, (r) =>
    `created ${r.handle} (${r.did}) on ${r.pds}${r.deactivated ? ' — deactivated until the identity points here: atcli account activate' : ''}\nlog in with: atcli account login -u ${r.did} --pds ${r.pds}`,
  );
}

// ------------------------------------------------------------------------------------------
// account service-auth


export async function serviceAuthCommand({ ctx, opts }: CommandRun): Promise<void> {
  const aud = opts.aud as string;
  const lxm = opts.lxm as string | undefined;
  const exp = opts.exp === undefined ? undefined : Number(opts.exp);
  if (exp !== undefined && !Number.isInteger(exp)) throw usage('InvalidExpiry', '--exp must be a whole number of seconds', { hint: 'for example --exp 300' });
  const keyFile = opts.keyFile as string | undefined;
  const envKey = ctx.env[SIGNING_KEY_ENV];
  let token: ServiceAuthToken;
  let offline = false;
  if (keyFile !== undefined || (envKey !== undefined && envKey.trim() !== '')) {
    offline = true;
    const keyTypeOpt = opts.keyType !== undefined ? { type: opts.keyType as KeyType } : {};
    if (keyFile !== undefined && /^(z[1-9A-HJ-NP-Za-km-z]{40,}|(0x)?[0-9a-fA-F]{64})$/.test(keyFile)) throw secretOnCommandLine();
    const key = keyFile !== undefined
      ? parsePrivateKeyText(await readSmallInput(keyFile, 8192, 'key file'), { ...keyTypeOpt, source: `--key-file ${keyFile === '-' ? '(stdin)' : keyFile}`, howToGiveType: KEY_TYPE_HOW })
      : parsePrivateKeyText(envKey!, { ...keyTypeOpt, source: SIGNING_KEY_ENV, howToGiveType: KEY_TYPE_HOW });
    let iss = opts.iss as string | undefined;
    if (iss === undefined) {
      const stored = await new FileSessionStore(ctx.configDir).read(ctx.profile).catch(() => null);
      iss = stored?.did ?? ctx.env.ATCLI_IDENTIFIER;
      if (iss === undefined || !iss.startsWith('did:')) throw usage('IssuerRequired', 'signing offline needs the account: --iss <did>', { hint: 'or log in first, and the logged-in DID is used' });
    }
    token = signServiceAuth(key, { iss, aud, ...(lxm !== undefined ? { lxm } : {}), ...(exp !== undefined ? { expSeconds: exp } : {}) });
    ctx.info(`signed offline with the ${key.type} key ${key.publicKey.did()}; it is accepted only if ${iss}'s DID document lists that key as #atproto`);
  } else {
    if (opts.iss !== undefined) throw usage('IssuerWithoutKey', '--iss is only for tokens signed offline (with --key-file)', { hint: 'the PDS issues tokens for the logged-in account only' });
    const { client } = await openSession(ctx);
    token = await requestServiceAuth(client, { aud, ...(lxm !== undefined ? { lxm } : {}), ...(exp !== undefined ? { expSeconds: exp } : {}) });
  }
  const result = { token: token.token, iss: token.iss, aud: token.aud, lxm: token.lxm ?? null, exp: token.exp, expiresAt: new Date(token.exp * 1000).toISOString(), offline };
  await printResult(ctx, result, (r) => r.token);
}

// ------------------------------------------------------------------------------------------
// account activate / deactivate / status / missing-blobs

export async function activateCommand({ ctx }: CommandRun): Promise<void> {
  const { client, session } = await openSession(ctx);
  if (ctx.dryRun) {
    await printResult(ctx, { dryRun: true, did: session.did, pds: client.service, activated: false }, (r) => `dry run: would activate ${r.did} on ${r.pds}`);
    return;
  }
  await activateAccount(client);
  const st = await checkAccountStatus(client);
  const result = { did: session.did, pds: client.service, activated: st.activated, validDid: st.validDid };
  if (!st.validDid) ctx.warn(`the DID document of ${session.did} does not point at ${client.service}: the network will not treat this account as current`);
  await printResult(ctx, result, (r) => (r.activated ? `activated ${r.did} on ${r.pds}` : `${r.pds} still reports ${r.did} as not active`));
  if (!st.activated) throw runtime('ActivationFailed', `${client.service} still reports the account as not active`);
}

export async function deactivateCommand({ ctx, opts }: CommandRun): Promise<void> {
  const { client, session } = await openSession(ctx);
  const deleteAfter = opts.deleteAfter as string | undefined;
  if (deleteAfter !== undefined && checkDatetime(deleteAfter) !== null) throw usage('InvalidDatetime', `--delete-after must be a datetime such as 2030-01-01T00:00:00Z: ${checkDatetime(deleteAfter)}`);
  if (ctx.dryRun) {
    await printResult(ctx, { dryRun: true, did: session.did, pds: client.service, deactivated: false }, (r) => `dry run: would deactivate ${r.did} on ${r.pds}`);
    return;
  }
  if (!(await confirmAction(ctx, `Deactivate ${session.handle} (${session.did}) on ${new URL(client.service).host}? It disappears from the network until reactivated`))) {
    throw new AtcliError('usage', 'Cancelled', 'not deactivated: cancelled at the confirmation');
  }
  await deactivateAccount(client, deleteAfter !== undefined ? { deleteAfter } : {});
  const info = await getSession(client);
  const result = { did: session.did, pds: client.service, deactivated: info.active === false, status: info.status ?? null, deleteAfter: deleteAfter ?? null };
  await printResult(ctx, result, (r) => `deactivated ${r.did} on ${r.pds}${r.deleteAfter ? ` (to be deleted after ${r.deleteAfter})` : ''}; undo with: atcli account activate`);
}

export async function statusCommand({ ctx, args }: CommandRun): Promise<void> {
  const id = args[0] as string | undefined;
  if (id === undefined) {
    const { client, session, source } = await openSession(ctx);
    const [info, st] = await Promise.all([getSession(client), checkAccountStatus(client)]);
    const store = new FileSessionStore(ctx.configDir);
    const result = {
      did: info.did,
      handle: info.handle,
      pds: client.service,
      active: st.activated,
      status: info.status ?? (st.activated ? 'active' : 'deactivated'),
      validDid: st.validDid,
      repoCommit: st.repoCommit,
      repoRev: st.repoRev,
      repoBlocks: st.repoBlocks,
      indexedRecords: st.indexedRecords,
      privateStateValues: st.privateStateValues,
      expectedBlobs: st.expectedBlobs,
      importedBlobs: st.importedBlobs,
      session: source === 'profile' ? store.path(ctx.profile) : 'ATCLI_IDENTIFIER / ATCLI_PASSWORD (not stored)',
      appPassword: isAppPasswordSession(session),
    };
    await printResult(ctx, result, (r) =>
      fields(ctx, [
        ['handle', r.handle],
        ['did', r.did],
        ['pds', r.pds],
        ['status', r.active ? 'active' : r.status],
        ['DID document', r.validDid ? 'points here' : 'does NOT point here'],
        ['repo', `rev ${r.repoRev}, ${r.repoBlocks} blocks`],
        ['records', r.indexedRecords],
        ['blobs', `${r.importedBlobs} of ${r.expectedBlobs} referenced`],
        ['session', `${r.session}${r.appPassword ? ' (app password)' : ''}`],
      ]),
    );
    return;
  }
  const identity = await resolveIdentity(await ctx.identityConfig(), id);
  for (const w of identity.warnings) ctx.debug(w);
  if (!identity.pds) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`);
  const st = await getRepoStatus(await publicClient(ctx, identity.pds), identity.did);
  const result = { did: identity.did, handle: identity.handle, pds: identity.pds, active: st.active, status: st.status ?? (st.active ? 'active' : 'inactive'), rev: st.rev ?? null };
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['handle', r.handle],
      ['did', r.did],
      ['pds', r.pds],
      ['status', r.status],
      ['rev', r.rev],
    ]),
  );
}

export async function missingBlobsCommand({ ctx }: CommandRun): Promise<void> {
  const { client } = await openSession(ctx);
  let n = 0;
  for await (const b of listMissingBlobs(client)) {
    n++;
    await writeStdout(ctx.json ? ndjsonLine(b) : `${b.cid}\t${b.recordUri}\n`);
  }
  ctx.info(n === 0 ? 'no blobs are missing' : `${n} missing blob reference${n === 1 ? '' : 's'}`);
}

// ------------------------------------------------------------------------------------------
// account plc recommended | request-token | sign | submit (PDS-managed did:plc)

async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readSmallInput(path, 256 * 1024, what);
  if (text.trim() === '') throw invalid('InvalidJson', `${what} ${path === '-' ? '(stdin)' : path} is empty`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('InvalidJson', `${what} ${path === '-' ? '(stdin)' : path} is not valid JSON`);
  }
}

function printPlcChanges(ctx: Context, title: string, changes: readonly string[]): void {
  if (ctx.quiet) return;
  ctx.info(title);
  if (changes.length === 0) ctx.info('  (no changes)');
  for (const c of changes) ctx.info(`  ${c}`);
}

export async function plcRecommendedCommand({ ctx }: CommandRun): Promise<void> {
  const { client } = await openSession(ctx);
  const creds = await getRecommendedDidCredentials(client);
  await writeStdout(`${JSON.stringify(creds, null, 2)}\n`);
}

export async function plcRequestTokenCommand({ ctx }: CommandRun): Promise<void> {
  const { client, session } = await openSession(ctx);
  if (isAppPasswordSession(session)) throw authError('AppPasswordSession', 'PLC operations need the account password, not an app password', { hint: 'log in with the account password: atcli account login' });
  await requestPlcOperationSignature(client);
  const result = { did: session.did, pds: client.service, requested: true };
  await printResult(ctx, result, () => `a confirmation token was e-mailed to the address of ${session.handle}; it is valid for about 15 minutes\nnext: atcli account plc sign op.json --token <code> > signed.json`);
}

export async function plcSignCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const path = args[0] as string;
  const json = await readJsonFile(path, 'operation');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('InvalidOperation', 'the operation must be a JSON object with rotationKeys, alsoKnownAs, verificationMethods and/or services');
  const o = json as Record<string, unknown>;
  const fieldsIn: Partial<DidCredentials> = {};
  for (const k of ['rotationKeys', 'alsoKnownAs', 'verificationMethods', 'services'] as const) if (o[k] !== undefined) (fieldsIn as Record<string, unknown>)[k] = o[k];
  if (Object.keys(fieldsIn).length === 0) throw invalid('InvalidOperation', 'the operation names none of rotationKeys, alsoKnownAs, verificationMethods, services: nothing to sign');
  const { client, session } = await openSession(ctx);
  const did = session.did;
  if (!did.startsWith('did:plc:')) throw usage('NotPlcDid', `${did} is not a did:plc`);
  // Check locally what the host would sign: the current head with these fields.
  const plc = new PlcDirectoryClient({ http: await ctx.httpConfig(), plcUrl: ctx.plcUrl });
  const log = verifyAuditLog(did, await plc.getAuditLog(did));
  if (!log.valid || log.head?.data == null) throw invalid('InvalidAuditLog', `the PLC audit log of ${did} does not verify: ${log.problems.slice(0, 2).join('; ')}`);
  const head = log.head;
  const current = head.data!;
  if (typeof o['prev'] === 'string' && o['prev'] !== head.cid) {
    throw invalid('StalePrev', `the operation was built on ${o['prev']}, but the current head is ${head.cid}`, { hint: 'build it again on the current state' });
  }
  const next = { type: 'plc_operation' as const, rotationKeys: current.rotationKeys, verificationMethods: current.verificationMethods, alsoKnownAs: current.alsoKnownAs, services: current.services, ...fieldsIn, prev: head.cid };
  const issues = checkOperationForBuild(next);
  for (const w of issues.filter((i) => i.level === 'warning')) ctx.warn(formatBuildIssue(w).replace(/^warning: /, ''));
  const errors = issues.filter((i) => i.level === 'error');
  if (errors.length > 0) {
    throw invalid('InvalidPlcOperation', `refusing to ask for a signature: ${errors.map((i) => formatBuildIssue(i).replace(/^error: /, '')).join('; ')}`);
  }
  const own = await getRecommendedDidCredentials(client).catch(() => undefined);
  if (own !== undefined && !own.rotationKeys.some((k) => next.rotationKeys.includes(k))) {
    ctx.warn(`the update drops the host's own rotation key${own.rotationKeys.length === 1 ? '' : 's'} (${own.rotationKeys.join(', ')}): the host will refuse to submit it, and it could not sign for you again`);
  }
  printPlcChanges(ctx, `update for ${did} (prev ${head.cid}):`, diffOperationData(current, next).map((c) => c.message));
  const token = (opts.token as string | undefined) ?? ctx.env[PLC_TOKEN_ENV] ?? (await promptText(ctx, 'Token from the e-mail', `--token or ${PLC_TOKEN_ENV}`));
  const signed = await signPlcOperation(client, { token: token.trim(), ...fieldsIn });
  const op = parseOperation(signed);
  ctx.info(`signed by ${new URL(client.service).host}: operation ${operationCid(op)} (not submitted); next: atcli account plc submit signed.json`);
  await writeStdout(`${JSON.stringify(signed, null, 2)}\n`);
}

export async function plcSubmitCommand({ ctx, args }: CommandRun): Promise<void> {
  const path = args[0] as string;
  const json = await readJsonFile(path, 'signed operation');
  const { client, session } = await openSession(ctx);
  const did = session.did;
  const plc = new PlcDirectoryClient({ http: await ctx.httpConfig(), plcUrl: ctx.plcUrl });
  const entries = await plc.getAuditLog(did);
  const check = checkSignedUpdate(did, entries, json);
  if (check.alreadyApplied) {
    await printResult(ctx, { did, cid: check.cid, submitted: false, alreadyApplied: true }, (r) => `${r.cid} is already the latest operation of ${r.did}: nothing to do`);
    return;
  }
  for (const w of check.warnings) ctx.warn(w);
  if (check.problems.length > 0) {
    throw invalid(check.stale ? 'StalePrev' : 'PlcOperationRefused', `refusing to submit (nothing was sent): ${check.problems.join('; ')}`, {
      hint: check.stale ? 'have it signed again on the current state: atcli account plc sign …' : 'fix the operation and have it signed again',
      details: { problems: check.problems },
    });
  }
  printPlcChanges(ctx, `operation ${check.cid} for ${did} (prev ${check.operation.prev}; signed by rotation key #${check.signedBy?.keyIndex} ${check.signedBy?.key}):`, check.changes.map((c) => c.message));
  if (ctx.dryRun) {
    await printResult(ctx, { dryRun: true, did, cid: check.cid, submitted: false, via: client.service, changes: check.changes.map((c) => c.message) }, (r) => `dry run: would submit ${r.cid} via ${r.via}`);
    return;
  }
  if (!(await confirmAction(ctx, `Submit this identity update for ${did} via ${new URL(client.service).host}?`))) {
    throw new AtcliError('usage', 'Cancelled', 'not submitted: cancelled at the confirmation');
  }
  await submitPlcOperation(client, check.operation);
  const last = operationCid(await plc.getLastOperation(did));
  if (last !== check.cid) {
    throw runtime('SubmitNotConfirmed', `the host accepted the operation, but the directory's latest operation is ${last}, not ${check.cid}`, { hint: `check with: atcli plc history ${did}` });
  }
  await printResult(ctx, { did, cid: check.cid, submitted: true, changes: check.changes.map((c) => c.message) }, (r) => `submitted ${r.cid} for ${r.did}; the directory's latest operation is now this one`);
}

// ------------------------------------------------------------------------------------------
// account migrate

/**
 * TEST-ONLY hooks, read from ATCLI_TEST_* variables that nobody sets outside the test suite; with
 * none of them set (the normal case) this returns undefined and the migration behaves exactly as
 * without hooks.
 * - ATCLI_TEST_KILL_AFTER_STEP=<step>: the process SIGKILLs itself right after that step is
 *   journalled (for the kill-and-resume tests).
 * - ATCLI_TEST_FAIL_BEFORE_STEP=<step>: an HTTP 500 is simulated before that step runs.
 * - ATCLI_TEST_EXPIRE_TOKENS=<HS256 secret of the test PDSes>: after every step the next request
 *   of each session uses an expired (re-signed) access token, so both sessions must refresh.
 */
function migrationTestHooks(ctx: Context): MigrationHooks | undefined {
  const killAfter = ctx.env.ATCLI_TEST_KILL_AFTER_STEP;
  const failBefore = ctx.env.ATCLI_TEST_FAIL_BEFORE_STEP;
  const expireSecret = ctx.env.ATCLI_TEST_EXPIRE_TOKENS;
  if (!killAfter && !failBefore && !expireSecret) return undefined;
  const expireNext = new Set<'old' | 'new'>();
  const expired = (jwt: string): string => {
    const [header, payload] = jwt.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(JSON.stringify({ ...claims, iat: now - 7200, exp: now - 3600 })).toString('base64url');
    return `${header}.${body}.${createHmac('sha256', expireSecret!).update(`${header}.${body}`).digest('base64url')}`;
  };
  return {
    beforeStep(step) {
      if (failBefore === step) {
        throw new XrpcError({ status: 500, xrpcError: 'InternalServerError', nsid: 'test.injected', message: `test.injected: simulated server failure before ${step} (HTTP 500)`, hint: 'the server had a problem; try again later' });
      }
    },
    afterStep(step) {
      if (expireSecret) {
        expireNext.add('old');
        expireNext.add('new');
      }
      if (killAfter === step) process.kill(process.pid, 'SIGKILL');
    },
    wrapAuth(auth, side) {
      if (!expireSecret) return auth;
      return new Proxy(auth, {
        get(target, prop) {
          if (prop === 'session') {
            return async () => {
              const s = await target.session();
              if (!expireNext.has(side)) return s;
              expireNext.delete(side);
              return { ...s, accessJwt: expired(s.accessJwt) };
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}

/** The severe confirmation of the identity step: type the DID (or handle), or --yes. */
async function confirmIdentityChange(ctx: Context, info: IdentityConfirmation): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.canPrompt) {
    throw usage('ConfirmationRequired', `moving the identity of ${info.did} to ${new URL(info.newPds).host} needs confirmation, and atcli cannot ask (not a terminal)`, {
      hint: '--yes is required when not running interactively: atcli account migrate --resume --plc-token <code> --yes',
    });
  }
  const typed = await promptText(ctx, `This moves ${info.did} to ${new URL(info.newPds).host}. Type the DID (or the handle ${info.handle}) to confirm`, '--yes');
  return typed === info.did || typed.replace(/^@/, '').toLowerCase() === info.handle.toLowerCase();
}

function resumeCommand(ctx: Context, opts: Record<string, unknown>, extra: string): string {
  const parts = ['atcli'];
  if (ctx.profile !== 'default') parts.push('--profile', ctx.profile);
  parts.push('account', 'migrate', '--resume');
  if (extra !== '') parts.push(extra);
  if (opts.stateFile !== undefined) parts.push('--state-file', String(opts.stateFile));
  if (!ctx.yes && !ctx.canPrompt) parts.push('--yes');
  return parts.join(' ');
}

function renderMigration(ctx: Context, r: MigrationResult): string {
  const c = stdoutChalk(ctx);
  const lines: string[] = [];
  const mark = (status: string): string => (status === 'done' ? c.green('✓') : status === 'failed' ? c.red('✗') : '·');
  if (r.status === 'dry-run') {
    lines.push(`dry run: migration of ${r.did} from ${r.oldPds} to ${r.newPds} (nothing was changed)`, '', 'preflight:');
    for (const ch of r.preflight?.checks ?? []) lines.push(`  ${ch.ok ? c.green('✓') : ch.level === 'warning' ? c.yellow('!') : c.red('✗')} ${ch.name}: ${ch.detail}`);
    lines.push('', `new account: ${r.newHandle} on ${r.newPds}`);
    const id = r.identity;
    if (id?.replaceRotationKeys !== undefined) lines.push(`identity: the old host's rotation keys ${id.replaceRotationKeys.join(', ') || '(none)'} are replaced by the new host's`);
    if (id?.keepRotationKeys !== undefined) lines.push(`          your rotation keys kept: ${id.keepRotationKeys.join(', ') || '(none)'}`);
    lines.push(`          your services kept: ${id?.keepServices?.join(', ') || '(none)'}`);
    if (id?.recoveryKey !== undefined) lines.push(`          added at the highest priority: ${id.recoveryKey}`);
    lines.push('', 'plan:');
    for (const p of r.plan) lines.push(`  ${mark(p.status)} ${String(p.index).padStart(2)}. ${p.name}: ${p.title}`);
    lines.push('', `state file (written once the migration starts): ${r.stateFile}`);
    return lines.join('\n');
  }
  if (r.status === 'waiting-for-plc-token') {
    lines.push(`migration of ${r.did}: every record and blob is on ${r.newPds} and verified; waiting for the PLC token from the e-mail`);
    for (const ch of r.identity?.changes ?? []) lines.push(`  ${ch}`);
    lines.push(`state saved in ${r.stateFile}`);
    return lines.join('\n');
  }
  const rep = r.report;
  if (rep === undefined) return `migrated ${r.did} to ${r.newPds}`;
  lines.push(`${c.green('✓')} migrated ${rep.handle} (${rep.did}) from ${rep.old.pds} to ${rep.new.pds}`);
  lines.push(
    fields(ctx, [
      ['records', `${rep.records.new} on the new host, ${rep.records.source} on the old${rep.records.identical ? ' (identical)' : ` (${rep.records.missingOnNew} missing, ${rep.records.extraOnNew} extra)`}`],
      ['blobs', `${rep.blobs.new} on the new host${rep.blobs.old !== null ? `, ${rep.blobs.old} on the old` : ''}; ${rep.blobs.imported}/${rep.blobs.expected} referenced blobs imported, ${rep.blobs.missingOnNew} missing`],
      ['preferences', `${rep.preferences.count}${rep.preferences.identical === true ? ' (identical)' : rep.preferences.identical === false ? ' (DIFFER)' : ''}`],
      ['new host', rep.new.active ? 'active' : `NOT active (${rep.new.status ?? '?'})`],
      ['old host', rep.old.active === false ? `deactivated (${rep.old.status ?? 'deactivated'}); not deleted` : rep.old.active ? 'still ACTIVE' : 'unknown'],
      ['DID document', `PDS ${rep.identity.pds ?? '?'}, signing key ${rep.identity.signingKey ?? '?'}`],
      ['rotation keys', rep.identity.rotationKeys.join(', ')],
      ['kept', [...rep.identity.keptRotationKeys, ...rep.identity.keptServices.map((s) => `service ${s}`)].join(', ') || '(nothing of yours to keep)'],
      ['backup', rep.backupDir],
    ]),
  );
  return lines.join('\n');
}

export async function migrateCommand({ ctx, opts }: CommandRun): Promise<number | void> {
  const resume = opts.resume === true;
  const to = opts.to as string | undefined;
  if (!resume && to === undefined) throw usage('MissingTarget', 'where to? give the new host with --to <pds-url>', { hint: 'or continue a migration with --resume' });
  const recoveryKey = opts.recoveryKey as string | undefined;
  if (recoveryKey !== undefined) {
    try {
      parseDidKey(recoveryKey);
    } catch {
      throw usage('InvalidRecoveryKey', '--recovery-key must be a p256/k256 did:key (the PUBLIC key)', { hint: 'make one with: atcli key generate; keep the private key safe and offline' });
    }
  }
  const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)) throw usage('InvalidConcurrency', '--concurrency must be 1 to 16', { hint: 'the default is 4 blobs at once' });
  const hooks = migrationTestHooks(ctx);
  const http = await ctx.httpConfig();
  const opened = await openSession(ctx);
  const oldAuth = hooks?.wrapAuth?.(opened.auth, 'old') ?? opened.auth;
  const oldClient = oldAuth === opened.auth ? opened.client : new XrpcClient({ service: opened.client.service, http, auth: oldAuth });
  const path = statePath(ctx, opened.session.did, opts.stateFile as string | undefined);
  if (!ctx.dryRun) ctx.info(`state file: ${path}`);
  const plcToken = (opts.plcToken as string | undefined) ?? ctx.env[PLC_TOKEN_ENV];

  const bars = new Map<string, ProgressBar>();
  let blobBar: ProgressBar | undefined;
  const stderr = stderrChalk(ctx);
  const callbacks: MigrationCallbacks = {
    newPassword: (() => {
      let cached: Promise<string> | undefined;
      return () => (cached ??= newAccountPassword(ctx, `the new account on ${to !== undefined ? new URL(to).host : 'the new host'}`, false));
    })(),
    async plcToken({ oldPds }) {
      if (!ctx.canPrompt) return undefined;
      return promptText(ctx, `Confirmation code from the e-mail ${new URL(oldPds).host} sent to the account's address`, `--plc-token or ${PLC_TOKEN_ENV}`);
    },
    confirmIdentity: (info) => confirmIdentityChange(ctx, info),
    event(e) {
      switch (e.kind) {
        case 'step-start':
          ctx.info(`${stderr.cyan('▸')} [${e.index}/${e.total}] ${e.title}…`);
          break;
        case 'step-done': {
          bars.get(e.step)?.done();
          bars.delete(e.step);
          if (e.step === 'blobs') {
            blobBar?.done();
            blobBar = undefined;
          }
          ctx.info(`${stderr.green('✓')} [${e.index}/${e.total}] ${e.step}${e.note ? `: ${e.note}` : ''}`);
          break;
        }
        case 'info':
          ctx.info(`  ${e.message}`);
          break;
        case 'warning':
          ctx.warn(e.message);
          break;
        case 'bytes': {
          let bar = bars.get(e.step);
          if (!bar) {
            bar = progressBar(ctx, e.step === 'export-repo' ? 'downloading the repository' : 'verifying the repository');
            bars.set(e.step, bar);
          }
          bar.update(e.done, e.total);
          break;
        }
        case 'blobs':
          blobBar ??= progressBar(ctx, 'copying blobs', 'items');
          blobBar.update(e.done, e.total, `${formatBytes(e.bytes)}${e.failed > 0 ? `, ${e.failed} failed` : ''}`);
          break;
        case 'plc-diff':
          if (!ctx.quiet) {
            ctx.info('identity update (shown before it is signed):');
            for (const line of e.changes) ctx.info(`  ${line}`);
          }
          for (const w of e.warnings) ctx.warn(w);
          break;
      }
    },
    ...(hooks !== undefined ? { hooks } : {}),
  };
  let outcome;
  try {
    outcome = await migrateAccount({
      http,
      identity: await ctx.identityConfig(),
      dev: ctx.dev,
      journalPath: path,
      oldClient,
      oldAuth,
      ...(to !== undefined ? { to } : {}),
      ...(opts.newHandle !== undefined ? { newHandle: opts.newHandle as string } : {}),
      ...(opts.newEmail !== undefined ? { newEmail: opts.newEmail as string } : {}),
      ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode as string } : {}),
      ...(recoveryKey !== undefined ? { recoveryKey } : {}),
      ...(plcToken !== undefined && plcToken !== '' ? { plcToken } : {}),
      dryRun: ctx.dryRun,
      resume,
      ...(concurrency !== undefined ? { blobConcurrency: concurrency } : {}),
      signal: ctx.signal,
      callbacks,
    });
  } catch (err) {
    // An interruption exits 130 without the usual error print: say where it stopped and how to go on.
    if (isAtcliError(err) && err.kind === 'interrupted') {
      ctx.warn(err.message);
      if (err.hint) ctx.warn(err.hint);
    }
    throw err;
  } finally {
    for (const b of bars.values()) b.done();
    blobBar?.done();
  }
  const { result, newSession } = outcome;
  if (result.status === 'completed' && newSession !== undefined && opened.source === 'profile') {
    const store = new FileSessionStore(ctx.configDir);
    const stored = await store.read(ctx.profile);
    if (stored !== null && stored.did === result.did) {
      await store.write(ctx.profile, { ...newSession, pds: result.newPds });
      ctx.info(`profile "${ctx.profile}" is now logged in to ${result.newPds}`);
    }
  }
  if (result.status === 'waiting-for-plc-token') {
    result.next = resumeCommand(ctx, opts, '--plc-token <the code from the e-mail>');
    ctx.info(`the confirmation code was e-mailed to the account's address (on ${new URL(result.oldPds).host}); it is valid for about 15 minutes. Continue with:\n  ${result.next}`);
  }
  await printResult(ctx, result, (r) => renderMigration(ctx, r));
  if (result.status === 'dry-run' && result.ok === false) return 1;
}
