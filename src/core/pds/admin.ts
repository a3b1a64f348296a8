/**
 * PDS administration with the admin password (HTTP Basic `admin:<password>`; the reference PDS's
 * `com.atproto.admin.*` endpoints plus invite creation): what the PDS's own `pdsadmin` scripts and
 * goat's `pds admin` do — accounts (list, info, create, handle, e-mail, password, takedown,
 * untakedown, delete), invite codes (create, list, disable) and blob takedowns.
 *
 * The changes that cannot be undone or that cut an account off (delete, takedown, blob takedown)
 * come in two halves: `plan…` reads the current state and says what will happen; `execute…` does
 * it. New passwords are returned once in the result and nowhere else; the admin password never
 * appears in a result, a message or a detail.
 */
import { randomBytes } from 'node:crypto';
import { AtcliError, authError, notFound, runtime, usage } from '../errors.js';
import type { HttpConfig } from '../net/http.js';
import { serviceOrigin } from '../net/service-url.js';
import { blobCid } from '../blob/ref.js';
import { createAccount, describeServer, findRepoStatus, type RepoStatus } from '../account/admin.js';
import { checkDid, checkHandle, normalizeHandle } from '../syntax/index.js';
import { XrpcClient, XrpcError, adminAuthorization, paginate, sanitizeRemoteText } from '../xrpc/index.js';
import { listRepos, type HostedRepo, type ListReposOptions } from './repos.js';

/** A PDS and its admin password. Build with {@link pdsAdmin}. */
export interface PdsAdmin {
  url: string;
  /** calls carry admin Basic auth */
  client: XrpcClient;
  /** the same host without credentials (public endpoints) */
  public: XrpcClient;
  /** scrubs the admin password (and any password handed in) out of error messages */
  secrets: string[];
}

export function pdsAdmin(http: HttpConfig, url: string, adminPassword: string): PdsAdmin {
  const origin = serviceOrigin(url);
  return {
    url: origin,
    client: new XrpcClient({ service: origin, http, headers: adminAuthorization(adminPassword) }),
    public: new XrpcClient({ service: origin, http }),
    secrets: [adminPassword],
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, max = 300): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? sanitizeRemoteText(v, max) : undefined;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/**
 * Runs an admin call: a refused admin password becomes auth 'AdminAuthRefused'; every message is
 * scrubbed of the secrets.
 */
async function adminCall<T>(admin: PdsAdmin, nsid: string, fn: () => Promise<T>, extraSecrets: readonly string[] = []): Promise<T> {
  const secrets = [...admin.secrets, ...extraSecrets];
  try {
    return await fn();
  } catch (err) {
    if (err instanceof XrpcError && (err.status === 401 || err.status === 403)) {
      throw authError('AdminAuthRefused', `${new URL(admin.url).host} refused the admin password for ${nsid} (HTTP ${err.status})`, {
        hint: 'the admin password is the PDS_ADMIN_PASSWORD the PDS was started with',
        details: { nsid, status: err.status, xrpcError: err.xrpcError },
      });
    }
    if (err instanceof AtcliError) {
      const message = scrub(err.message, secrets);
      if (message !== err.message) {
        throw new AtcliError(err.kind, err.code, message, { ...(err.hint !== undefined ? { hint: scrub(err.hint, secrets) } : {}), details: { nsid } });
      }
    }
    throw err;
  }
}

/** A password as the pdsadmin scripts make them: 24 characters of base32 (120 random bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return out;
}

// ------------------------------------------------------------------------------------------
// which account

/** Inactive accounts searched for a handle the PDS no longer resolves, at most. */
const HANDLE_SEARCH_MAX = 100_000;

/**
 * The DID of an account on this PDS, given a DID or a handle. Handles are asked of the PDS itself
 * (`resolveHandle`). The reference PDS does not resolve the handles of taken-down accounts, so a
 * handle it does not resolve is looked for among its inactive accounts (listRepos with the admin
 * account view), where a taken-down account still has its handle.
 */
export async function accountDid(admin: PdsAdmin, id: string): Promise<string> {
  const text = id.trim().replace(/^@/, '');
  if (text.startsWith('did:')) {
    const problem = checkDid(text);
    if (problem !== null) throw usage('InvalidDid', `"${sanitizeRemoteText(text, 100)}" is not a DID: ${problem}`);
    return text;
  }
  const problem = checkHandle(text);
  if (problem !== null) throw usage('InvalidIdentifier', `"${sanitizeRemoteText(text, 100)}" is neither a DID nor a handle: ${problem}`);
  const handle = normalizeHandle(text);
  let out: unknown;
  try {
    out = await admin.public.query<unknown>('com.atproto.identity.resolveHandle', { handle });
  } catch (err) {
    if (!(err instanceof XrpcError && err.status === 400)) throw err;
    let searched = 0;
    for await (const account of listAccounts(admin, { status: 'inactive' })) {
      if (account.handle === handle) return account.did;
      if (++searched >= HANDLE_SEARCH_MAX) break;
    }
    throw notFound('AccountNotFound', `${new URL(admin.url).host} has no account with the handle ${handle}`, { details: { handle } });
  }
  const did = isRecord(out) ? out['did'] : undefined;
  if (typeof did !== 'string' || checkDid(did) !== null) throw runtime('InvalidResponse', 'com.atproto.identity.resolveHandle returned no valid "did"');
  return did;
}

// ------------------------------------------------------------------------------------------
// account information

export interface InviteCodeUse {
  usedBy: string;
  usedAt: string;
}

export interface InviteCodeInfo {
  code: string;
  /** how many more times it may be used */
  available: number;
  disabled: boolean;
  forAccount: string;
  createdBy: string;
  createdAt: string;
  /** number of accounts created with it */
  used: number;
  /** the first 50 uses */
  uses: InviteCodeUse[];
}

const MAX_USES_SHOWN = 50;

function parseInviteCode(v: unknown): InviteCodeInfo | undefined {
  if (!isRecord(v) || typeof v['code'] !== 'string') return undefined;
  const uses = Array.isArray(v['uses']) ? v['uses'] : [];
  return {
    code: sanitizeRemoteText(v['code'], 100),
    available: typeof v['available'] === 'number' ? v['available'] : 0,
    disabled: v['disabled'] === true,
    forAccount: str(v, 'forAccount', 200) ?? '',
    createdBy: str(v, 'createdBy', 200) ?? '',
    createdAt: str(v, 'createdAt', 40) ?? '',
    used: uses.length,
    uses: uses
      .slice(0, MAX_USES_SHOWN)
      .filter(isRecord)
      .map((u) => ({ usedBy: str(u, 'usedBy', 200) ?? '', usedAt: str(u, 'usedAt', 40) ?? '' })),
  };
}

export interface AdminAccountView {
  did: string;
  handle: string;
  email?: string;
  emailConfirmedAt?: string;
  /** when the account was created on this PDS */
  createdAt?: string;
  deactivatedAt?: string;
  invitesDisabled?: boolean;
  /** the invite code the account was created with */
  invitedBy?: string;
  /** how many invite codes the account holds */
  inviteCodes?: number;
}

function parseAccountView(v: unknown): AdminAccountView | undefined {
  if (!isRecord(v) || typeof v['did'] !== 'string' || checkDid(v['did']) !== null) return undefined;
  const out: AdminAccountView = { did: v['did'], handle: str(v, 'handle', 253) ?? 'handle.invalid' };
  const email = str(v, 'email', 254);
  if (email !== undefined) out.email = email;
  const confirmed = str(v, 'emailConfirmedAt', 40);
  if (confirmed !== undefined) out.emailConfirmedAt = confirmed;
  const created = str(v, 'indexedAt', 40);
  if (created !== undefined) out.createdAt = created;
  const deactivated = str(v, 'deactivatedAt', 40);
  if (deactivated !== undefined) out.deactivatedAt = deactivated;
  if (typeof v['invitesDisabled'] === 'boolean') out.invitesDisabled = v['invitesDisabled'];
  const invitedBy = parseInviteCode(v['invitedBy']);
  if (invitedBy !== undefined) out.invitedBy = invitedBy.code;
  if (Array.isArray(v['invites'])) out.inviteCodes = v['invites'].length;
  return out;
}

export interface TakedownState {
  applied: boolean;
  ref?: string;
}

export interface AdminAccountInfo extends AdminAccountView {
  /** the admin takedown on the account; null when none was ever set */
  takedown: TakedownState | null;
  /** what the public `getRepoStatus` says: null when the PDS has no repository for the DID */
  repo: RepoStatus | null;
}

function parseStatusAttr(v: unknown): TakedownState | null {
  if (!isRecord(v) || typeof v['applied'] !== 'boolean') return null;
  const ref = str(v, 'ref', 200);
  return ref !== undefined && ref !== '' ? { applied: v['applied'], ref } : { applied: v['applied'] };
}

async function subjectStatus(admin: PdsAdmin, params: { did: string; blob?: string }): Promise<TakedownState | null> {
  const nsid = 'com.atproto.admin.getSubjectStatus';
  try {
    const out = await adminCall(admin, nsid, () => admin.client.query<unknown>(nsid, params));
    return isRecord(out) ? parseStatusAttr(out['takedown']) : null;
  } catch (err) {
    // The reference PDS answers "Subject not found" for a subject that never had a status.
    if (err instanceof XrpcError && (err.xrpcError === 'NotFound' || err.status === 404)) return null;
    throw err;
  }
}

/** `com.atproto.admin.getAccountInfo` plus the takedown state and the public hosting status. */
export async function accountInfo(admin: PdsAdmin, id: string): Promise<AdminAccountInfo> {
  const did = await accountDid(admin, id);
  const nsid = 'com.atproto.admin.getAccountInfo';
  let out: unknown;
  try {
    out = await adminCall(admin, nsid, () => admin.client.query<unknown>(nsid, { did }));
  } catch (err) {
    if (err instanceof XrpcError && err.status === 400 && /not found/i.test(err.message)) {
      throw notFound('AccountNotFound', `${new URL(admin.url).host} has no account ${did}`, { details: { did } });
    }
    throw err;
  }
  const view = parseAccountView(out);
  if (view === undefined) throw runtime('InvalidResponse', `${nsid}: the answer has no valid account`);
  const [takedown, repo] = await Promise.all([subjectStatus(admin, { did }), findRepoStatus(admin.public, did)]);
  return { ...view, takedown, repo };
}

export interface AdminAccountListing extends AdminAccountView {
  active: boolean;
  status?: string;
  rev?: string;
}

/** Accounts asked of getAccountInfos at once (the reference PDS takes a list of DIDs). */
const INFO_BATCH = 100;

/**
 * Every account of the PDS: `listRepos` (hosting status and rev) joined with
 * `com.atproto.admin.getAccountInfos` (handle, e-mail, dates), 100 accounts at a time.
 */
export async function* listAccounts(admin: PdsAdmin, opts: Omit<ListReposOptions, 'onMalformed'> = {}): AsyncGenerator<AdminAccountListing, void, undefined> {
  const nsid = 'com.atproto.admin.getAccountInfos';
  let batch: HostedRepo[] = [];
  const flush = async function* (): AsyncGenerator<AdminAccountListing> {
    if (batch.length === 0) return;
    const repos = batch;
    batch = [];
    const out = await adminCall(admin, nsid, () => admin.client.query<unknown>(nsid, { dids: repos.map((r) => r.did) }));
    const infos = new Map<string, AdminAccountView>();
    if (isRecord(out) && Array.isArray(out['infos'])) {
      for (const v of out['infos']) {
        const view = parseAccountView(v);
        if (view !== undefined) infos.set(view.did, view);
      }
    }
    for (const r of repos) {
      const view = infos.get(r.did) ?? { did: r.did, handle: 'handle.invalid' };
      yield { ...view, active: r.active, ...(r.status !== undefined ? { status: r.status } : {}), ...(r.rev !== undefined ? { rev: r.rev } : {}) };
    }
  };
  for await (const repo of listRepos(admin.public, opts)) {
    batch.push(repo);
    if (batch.length >= INFO_BATCH) yield* flush();
  }
  yield* flush();
}

// ------------------------------------------------------------------------------------------
// creating and changing accounts

export interface AdminCreateAccountInput {
  handle: string;
  email: string;
  /** the new account's password; generated when absent (and then returned once) */
  password?: string;
  /** an existing DID (did:web, or a migration); needs `serviceAuth` from its current host */
  did?: string;
  serviceAuth?: string;
  /** a did:key added as the first rotation key of a new did:plc */
  recoveryKey?: string;
}

export interface AdminCreatedAccount {
  did: string;
  handle: string;
  email: string;
  /** only when it was generated here: shown once, stored nowhere */
  password?: string;
  /** the single-use invite code made for it, when the PDS requires invites */
  inviteCode?: string;
}

/**
 * Creates an account the way `pdsadmin account create` does: when the PDS requires invite codes,
 * an admin-made single-use code; then `com.atproto.server.createAccount`.
 */
export async function createAccountAsAdmin(admin: PdsAdmin, input: AdminCreateAccountInput): Promise<AdminCreatedAccount> {
  const password = input.password ?? generatePassword();
  const description = await describeServer(admin.public);
  let inviteCode: string | undefined;
  if (description.inviteCodeRequired) inviteCode = (await createInviteCodes(admin, { count: 1, useCount: 1 })).codes[0];
  const created = await adminCall(
    admin,
    'com.atproto.server.createAccount',
    () =>
      createAccount(admin.public, {
        handle: input.handle,
        email: input.email,
        password,
        ...(inviteCode !== undefined ? { inviteCode } : {}),
        ...(input.did !== undefined ? { did: input.did } : {}),
        ...(input.serviceAuth !== undefined ? { serviceAuth: input.serviceAuth } : {}),
        ...(input.recoveryKey !== undefined ? { recoveryKey: input.recoveryKey } : {}),
      }),
    [password],
  );
  return {
    did: created.did,
    handle: created.handle,
    email: input.email,
    ...(input.password === undefined ? { password } : {}),
    ...(inviteCode !== undefined ? { inviteCode } : {}),
  };
}

/** `com.atproto.admin.updateAccountHandle`; returns the account as the PDS then reports it. */
export async function updateAccountHandle(admin: PdsAdmin, id: string, handle: string): Promise<AdminAccountInfo> {
  const problem = checkHandle(handle);
  if (problem !== null) throw usage('InvalidHandle', `"${sanitizeRemoteText(handle, 100)}" is not a handle: ${problem}`);
  const did = await accountDid(admin, id);
  const nsid = 'com.atproto.admin.updateAccountHandle';
  await adminCall(admin, nsid, () => admin.client.procedure(nsid, { did, handle: normalizeHandle(handle) }));
  return accountInfo(admin, did);
}

/** `com.atproto.admin.updateAccountEmail`; returns the account as the PDS then reports it. */
export async function updateAccountEmail(admin: PdsAdmin, id: string, email: string): Promise<AdminAccountInfo> {
  if (!/^[^\s@]{1,64}@[^\s@]{1,253}$/.test(email)) throw usage('InvalidEmail', `"${sanitizeRemoteText(email, 100)}" is not an e-mail address`);
  const did = await accountDid(admin, id);
  const nsid = 'com.atproto.admin.updateAccountEmail';
  await adminCall(admin, nsid, () => admin.client.procedure(nsid, { account: did, email }));
  return accountInfo(admin, did);
}

export interface PasswordReset {
  did: string;
  /** only when it was generated here: shown once, stored nowhere */
  password?: string;
}

/** `com.atproto.admin.updateAccountPassword` with a given or generated password. */
export async function resetAccountPassword(admin: PdsAdmin, id: string, newPassword?: string): Promise<PasswordReset> {
  const did = await accountDid(admin, id);
  const password = newPassword ?? generatePassword();
  const nsid = 'com.atproto.admin.updateAccountPassword';
  await adminCall(admin, nsid, () => admin.client.procedure(nsid, { did, password }), [password]);
  return newPassword === undefined ? { did, password } : { did };
}

// ------------------------------------------------------------------------------------------
// plans for the changes that cut an account off

export type AdminAction = 'takedown' | 'untakedown' | 'delete' | 'blob-takedown' | 'blob-untakedown';

export interface AdminPlan {
  action: AdminAction;
  pds: string;
  did: string;
  handle?: string;
  email?: string;
  /** blob actions: the blob */
  cid?: string;
  /** the takedown state before the change (null: none set) */
  takedownBefore: TakedownState | null;
  /** takedowns: the reference stored with it */
  ref?: string;
  /** one line: what will happen */
  summary: string;
  /** what follows from it, one statement each */
  effects: string[];
  reversible: boolean;
  /** true when the change makes no difference (an untakedown of an account not taken down) */
  noop: boolean;
}

export interface PlanOptions {
  /** a takedown's reference (default: "atcli-<unix seconds>") */
  ref?: string;
  now?: Date;
}

/** Reads the account (and blob) and says what `action` will do. Nothing is changed. */
export async function planAdminAction(admin: PdsAdmin, action: AdminAction, id: string, opts: PlanOptions & { cid?: string } = {}): Promise<AdminPlan> {
  const info = await accountInfo(admin, id);
  const who = `${info.did}${info.handle !== 'handle.invalid' ? ` (${info.handle})` : ''}`;
  const host = new URL(admin.url).host;
  const base = { pds: admin.url, did: info.did, handle: info.handle, ...(info.email !== undefined ? { email: info.email } : {}) };
  const ref = opts.ref ?? `atcli-${Math.floor((opts.now ?? new Date()).getTime() / 1000)}`;
  if (action === 'blob-takedown' || action === 'blob-untakedown') {
    if (opts.cid === undefined) throw usage('MissingBlobCid', 'a blob action needs the blob CID');
    const cid = blobCid(opts.cid).toString();
    const before = await subjectStatus(admin, { did: info.did, blob: cid });
    const applying = action === 'blob-takedown';
    return {
      action,
      ...base,
      cid,
      takedownBefore: before,
      ...(applying ? { ref } : {}),
      summary: applying ? `take down blob ${cid} of ${who} on ${host}` : `lift the takedown of blob ${cid} of ${who} on ${host}`,
      effects: applying
        ? ['the PDS stops serving the blob (com.atproto.sync.getBlob answers that it is taken down)', 'records that reference it are unchanged']
        : ['the PDS serves the blob again'],
      reversible: true,
      noop: applying ? before?.applied === true : before?.applied !== true,
    };
  }
  if (action === 'takedown') {
    return {
      action,
      ...base,
      takedownBefore: info.takedown,
      ref,
      summary: `take down ${who} on ${host}`,
      effects: [
        'the account can no longer log in or write',
        'the PDS stops serving its repository and blobs and emits an #account event with status "takendown", so relays and AppViews hide it',
        'nothing is deleted: untakedown restores it',
      ],
      reversible: true,
      noop: info.takedown?.applied === true,
    };
  }
  if (action === 'untakedown') {
    return {
      action,
      ...base,
      takedownBefore: info.takedown,
      summary: `lift the takedown of ${who} on ${host}`,
      effects: ['the account can log in and write again', 'the PDS serves its repository and blobs again and emits an #account event'],
      reversible: true,
      noop: info.takedown?.applied !== true,
    };
  }
  return {
    action,
    ...base,
    takedownBefore: info.takedown,
    summary: `permanently delete ${who} from ${host}`,
    effects: [
      'the repository, its blobs, preferences, sessions and app passwords are erased from this PDS',
      'the PDS emits an #account event with status "deleted"; relays and AppViews drop the account',
      'the DID itself is not tombstoned in the PLC directory; its document still names this PDS',
      'this cannot be undone',
    ],
    reversible: false,
    noop: false,
  };
}

export interface AdminActionResult {
  action: AdminAction;
  did: string;
  cid?: string;
  /** what the PDS reports after the change */
  takedown: TakedownState | null;
  /** delete: whether the PDS still has a repository for the DID */
  repo?: RepoStatus | null;
}

/** Carries out a plan made by {@link planAdminAction} and reads the result back. */
export async function executeAdminAction(admin: PdsAdmin, plan: AdminPlan): Promise<AdminActionResult> {
  const update = 'com.atproto.admin.updateSubjectStatus';
  const { did } = plan;
  switch (plan.action) {
    case 'takedown':
    case 'untakedown': {
      const takedown = plan.action === 'takedown' ? { applied: true, ...(plan.ref !== undefined ? { ref: plan.ref } : {}) } : { applied: false };
      await adminCall(admin, update, () => admin.client.procedure(update, { subject: { $type: 'com.atproto.admin.defs#repoRef', did }, takedown }));
      return { action: plan.action, did, takedown: await subjectStatus(admin, { did }) };
    }
    case 'blob-takedown':
    case 'blob-untakedown': {
      const cid = plan.cid as string;
      const takedown = plan.action === 'blob-takedown' ? { applied: true, ...(plan.ref !== undefined ? { ref: plan.ref } : {}) } : { applied: false };
      await adminCall(admin, update, () => admin.client.procedure(update, { subject: { $type: 'com.atproto.admin.defs#repoBlobRef', did, cid }, takedown }));
      return { action: plan.action, did, cid, takedown: await subjectStatus(admin, { did, blob: cid }) };
    }
    case 'delete': {
      const nsid = 'com.atproto.admin.deleteAccount';
      await adminCall(admin, nsid, () => admin.client.procedure(nsid, { did }));
      return { action: 'delete', did, takedown: null, repo: await findRepoStatus(admin.public, did) };
    }
  }
}

export interface BlobStatus {
  did: string;
  cid: string;
  /** null: the PDS reports no takedown state for the blob */
  takedown: TakedownState | null;
}

/** `com.atproto.admin.getSubjectStatus` for one blob. */
export async function blobStatus(admin: PdsAdmin, id: string, cid: string): Promise<BlobStatus> {
  const did = await accountDid(admin, id);
  const name = blobCid(cid).toString();
  return { did, cid: name, takedown: await subjectStatus(admin, { did, blob: name }) };
}

// ------------------------------------------------------------------------------------------
// invite codes

export interface CreatedInvites {
  codes: string[];
  useCount: number;
}

/** `com.atproto.server.createInviteCodes`: `count` codes, each usable `useCount` times. */
export async function createInviteCodes(admin: PdsAdmin, opts: { count?: number; useCount?: number; forAccount?: string } = {}): Promise<CreatedInvites> {
  const count = opts.count ?? 1;
  const useCount = opts.useCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw usage('InvalidCount', `the number of codes must be a whole number from 1 to 1000 (got ${count})`);
  if (!Number.isInteger(useCount) || useCount < 1) throw usage('InvalidCount', `the uses per code must be a whole number of at least 1 (got ${useCount})`);
  const nsid = 'com.atproto.server.createInviteCodes';
  const body: Record<string, unknown> = { codeCount: count, useCount };
  if (opts.forAccount !== undefined) body['forAccounts'] = [await accountDid(admin, opts.forAccount)];
  const out = await adminCall(admin, nsid, () => admin.client.procedure<unknown>(nsid, body));
  const codes: string[] = [];
  if (isRecord(out) && Array.isArray(out['codes'])) {
    for (const entry of out['codes']) {
      if (!isRecord(entry) || !Array.isArray(entry['codes'])) continue;
      for (const c of entry['codes']) if (typeof c === 'string') codes.push(sanitizeRemoteText(c, 100));
    }
  }
  if (codes.length === 0) throw runtime('InvalidResponse', `${nsid}: the answer holds no codes`);
  return { codes, useCount };
}

/** all, used (at least once), disabled, or free (never used and not disabled). */
export type InviteFilter = 'all' | 'used' | 'disabled' | 'free';

export function inviteMatches(code: InviteCodeInfo, filter: InviteFilter): boolean {
  if (filter === 'used') return code.used > 0;
  if (filter === 'disabled') return code.disabled;
  if (filter === 'free') return code.used === 0 && !code.disabled;
  return true;
}

/** `com.atproto.admin.getInviteCodes`, newest first, page by page. */
export async function* listInviteCodes(admin: PdsAdmin, opts: { filter?: InviteFilter; pageSize?: number } = {}): AsyncGenerator<InviteCodeInfo, void, undefined> {
  const nsid = 'com.atproto.admin.getInviteCodes';
  const limit = Math.max(1, Math.min(500, Math.floor(opts.pageSize ?? 100)));
  const pages = paginate(admin.client, nsid, 'codes', { sort: 'recent', limit });
  for (;;) {
    const page = await adminCall(admin, nsid, () => pages.next());
    if (page.done === true) return;
    for (const entry of page.value) {
      const code = parseInviteCode(entry);
      if (code !== undefined && inviteMatches(code, opts.filter ?? 'all')) yield code;
    }
  }
}

/** `com.atproto.admin.disableInviteCodes`: the codes given and every code of the accounts given. */
export async function disableInviteCodes(admin: PdsAdmin, opts: { codes?: string[]; accounts?: string[] }): Promise<{ codes: string[]; accounts: string[] }> {
  const codes = opts.codes ?? [];
  const accounts = await Promise.all((opts.accounts ?? []).map((a) => accountDid(admin, a)));
  if (codes.length === 0 && accounts.length === 0) throw usage('NothingToDisable', 'name at least one invite code or account');
  const nsid = 'com.atproto.admin.disableInviteCodes';
  await adminCall(admin, nsid, () => admin.client.procedure(nsid, { codes, accounts }));
  return { codes, accounts };
}
