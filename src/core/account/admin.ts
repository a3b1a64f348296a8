/**
 * Account administration over XRPC (https://atproto.com/specs/account, docs/account-migration.md): typed wrappers for
 * the endpoints `account …` commands and the migration use. Every response is checked for the
 * fields we rely on; remote text is sanitised; nothing here prints or keeps a secret.
 */
import { invalid, runtime, usage } from '../errors.js';
import { checkDid, checkHandle } from '../syntax/index.js';
import { XrpcClient, XrpcError, accessScope, sanitizeRemoteText, type SessionData } from '../xrpc/index.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(nsid: string, what: string): never {
  throw runtime('InvalidResponse', `${nsid}: the server's answer ${what}`);
}

function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

function num(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

// ------------------------------------------------------------------------------------------
// server description

export interface ServerDescription {
  did: string;
  availableUserDomains: string[];
  inviteCodeRequired: boolean;
  phoneVerificationRequired: boolean;
  links?: { privacyPolicy?: string; termsOfService?: string };
  contact?: { email?: string };
}

/** `com.atproto.server.describeServer` (public). */
export async function describeServer(client: XrpcClient): Promise<ServerDescription> {
  const nsid = 'com.atproto.server.describeServer';
  const out = await client.query<unknown>(nsid);
  if (!isRecord(out)) bad(nsid, 'is not a JSON object');
  const did = str(out, 'did');
  if (did === undefined || checkDid(did) !== null) bad(nsid, 'has no valid service "did"');
  const domains = Array.isArray(out['availableUserDomains']) ? out['availableUserDomains'].filter((d): d is string => typeof d === 'string') : [];
  const result: ServerDescription = {
    did,
    availableUserDomains: domains.map((d) => sanitizeRemoteText(d, 253)),
    inviteCodeRequired: out['inviteCodeRequired'] === true,
    phoneVerificationRequired: out['phoneVerificationRequired'] === true,
  };
  const links = out['links'];
  if (isRecord(links)) {
    result.links = {};
    const pp = str(links, 'privacyPolicy');
    const tos = str(links, 'termsOfService');
    if (pp !== undefined) result.links.privacyPolicy = sanitizeRemoteText(pp, 300);
    if (tos !== undefined) result.links.termsOfService = sanitizeRemoteText(tos, 300);
  }
  const contact = out['contact'];
  if (isRecord(contact) && typeof contact['email'] === 'string') result.contact = { email: sanitizeRemoteText(contact['email'], 200) };
  return result;
}

/** Whether `handle` falls under one of the server's user domains (".test" matches "alice.test"). */
export function handleInDomains(handle: string, domains: readonly string[]): boolean {
  const h = handle.toLowerCase();
  return domains.some((d) => {
    const dom = d.toLowerCase();
    const suffix = dom.startsWith('.') ? dom : `.${dom}`;
    return h.endsWith(suffix) && h.length > suffix.length;
  });
}

// ------------------------------------------------------------------------------------------
// accounts

export interface CreateAccountInput {
  handle: string;
  email: string;
  password: string;
  inviteCode?: string;
  /** Bring an existing DID (migration): needs `serviceAuth`. */
  did?: string;
  /** A service-auth JWT from the account's current PDS (aud = the new PDS's DID, lxm = createAccount). */
  serviceAuth?: string;
  recoveryKey?: string;
}

export interface CreatedAccount {
  did: string;
  handle: string;
  session: SessionData;
}

/**
 * `com.atproto.server.createAccount` on `pdsUrl`. With `did` + `serviceAuth` the account is created
 * deactivated for that existing identity (migration); the returned DID is checked to be that one.
 * The password is sent once and never echoed in errors.
 */
export async function createAccount(client: XrpcClient, input: CreateAccountInput): Promise<CreatedAccount> {
  const nsid = 'com.atproto.server.createAccount';
  const handleProblem = checkHandle(input.handle);
  if (handleProblem !== null) throw usage('InvalidHandle', `invalid handle "${sanitizeRemoteText(input.handle, 100)}": ${handleProblem}`);
  if (input.did !== undefined && input.serviceAuth === undefined) {
    throw usage('ServiceAuthRequired', 'creating an account for an existing DID needs a service-auth token from its current PDS', {
      hint: "the DID's current PDS issues one: com.atproto.server.getServiceAuth with aud = the new PDS's DID and lxm = com.atproto.server.createAccount",
    });
  }
  const body: Record<string, unknown> = { handle: input.handle, email: input.email, password: input.password };
  if (input.inviteCode !== undefined) body['inviteCode'] = input.inviteCode;
  if (input.did !== undefined) body['did'] = input.did;
  if (input.recoveryKey !== undefined) body['recoveryKey'] = input.recoveryKey;
  const headers: Record<string, string> = {};
  if (input.serviceAuth !== undefined) headers['authorization'] = `Bearer ${input.serviceAuth}`;
  let out: unknown;
  try {
    out = await client.procedure<unknown>(nsid, body, { headers });
  } catch (err) {
    if (err instanceof XrpcError) {
      if (input.password.length > 0) err.message = err.message.split(input.password).join('***');
      const text = `${err.xrpcError ?? ''} ${err.message}`;
      if (/invite/i.test(text)) {
        throw usage('InviteCodeRequired', `${new URL(client.service).host} refused the account: ${err.message}`, {
          hint: 'this host needs an invite code',
          details: { xrpcError: err.xrpcError, status: err.status },
        });
      }
      if (/handle/i.test(text) && /(taken|unavailable|exists|reserved|invalid)/i.test(text)) {
        throw usage('HandleUnavailable', `${new URL(client.service).host} refused the handle ${input.handle}: ${err.message}`, {
          hint: 'choose another handle',
          details: { xrpcError: err.xrpcError, status: err.status },
        });
      }
    }
    throw err;
  }
  if (!isRecord(out)) bad(nsid, 'is not a JSON object');
  const did = str(out, 'did');
  const accessJwt = str(out, 'accessJwt');
  const refreshJwt = str(out, 'refreshJwt');
  if (did === undefined || accessJwt === undefined || refreshJwt === undefined) bad(nsid, 'has no did and tokens');
  if (input.did !== undefined && did !== input.did) {
    throw runtime('DidMismatch', `${nsid}: asked to create an account for ${input.did}, but the host created one for ${sanitizeRemoteText(did, 100)}`, {
      hint: 'the new host did not accept the existing identity; do not continue with it',
    });
  }
  const handle = str(out, 'handle') ?? input.handle;
  return {
    did,
    handle,
    session: { did, handle, pds: client.service, accessJwt, refreshJwt, obtainedAt: new Date().toISOString(), email: input.email },
  };
}

export interface AccountStatus {
  activated: boolean;
  validDid: boolean;
  repoCommit: string;
  repoRev: string;
  repoBlocks: number;
  indexedRecords: number;
  privateStateValues: number;
  expectedBlobs: number;
  importedBlobs: number;
}

/** `com.atproto.server.checkAccountStatus` for the logged-in account. */
export async function checkAccountStatus(client: XrpcClient): Promise<AccountStatus> {
  const nsid = 'com.atproto.server.checkAccountStatus';
  const out = await client.query<unknown>(nsid);
  if (!isRecord(out)) bad(nsid, 'is not a JSON object');
  const need = (k: string): number => {
    const v = num(out, k);
    if (v === undefined) bad(nsid, `has no number "${k}"`);
    return v;
  };
  return {
    activated: out['activated'] === true,
    validDid: out['validDid'] === true,
    repoCommit: str(out, 'repoCommit') ?? '',
    repoRev: str(out, 'repoRev') ?? '',
    repoBlocks: need('repoBlocks'),
    indexedRecords: need('indexedRecords'),
    privateStateValues: num(out, 'privateStateValues') ?? 0,
    expectedBlobs: need('expectedBlobs'),
    importedBlobs: need('importedBlobs'),
  };
}

export interface RepoStatus {
  did: string;
  active: boolean;
  status?: string;
  rev?: string;
}

/** `com.atproto.sync.getRepoStatus` (public). Throws notFound 'RepoNotFound' when the host has no such repo. */
export async function getRepoStatus(client: XrpcClient, did: string): Promise<RepoStatus> {
  const nsid = 'com.atproto.sync.getRepoStatus';
  const out = await client.query<unknown>(nsid, { did });
  if (!isRecord(out)) bad(nsid, 'is not a JSON object');
  const result: RepoStatus = { did: str(out, 'did') ?? did, active: out['active'] === true };
  const status = str(out, 'status');
  const rev = str(out, 'rev');
  if (status !== undefined) result.status = sanitizeRemoteText(status, 60);
  if (rev !== undefined) result.rev = rev;
  return result;
}

/** `getRepoStatus`, or null when the host answers that it has no repository for the DID. */
export async function findRepoStatus(client: XrpcClient, did: string): Promise<RepoStatus | null> {
  try {
    return await getRepoStatus(client, did);
  } catch (err) {
    if (err instanceof XrpcError && (err.status === 404 || err.xrpcError === 'RepoNotFound' || (err.status === 400 && /not found|could not find/i.test(err.message)))) {
      return null;
    }
    throw err;
  }
}

/** `com.atproto.server.activateAccount`. */
export async function activateAccount(client: XrpcClient): Promise<void> {
  await client.procedure('com.atproto.server.activateAccount', undefined, { idempotent: true });
}

/** `com.atproto.server.deactivateAccount` (optionally with `deleteAfter`, an ISO datetime). */
export async function deactivateAccount(client: XrpcClient, opts: { deleteAfter?: string } = {}): Promise<void> {
  await client.procedure('com.atproto.server.deactivateAccount', opts.deleteAfter !== undefined ? { deleteAfter: opts.deleteAfter } : {}, { idempotent: true });
}

/** `com.atproto.sync.getLatestCommit` (public). */
export async function getLatestCommit(client: XrpcClient, did: string): Promise<{ cid: string; rev: string }> {
  const nsid = 'com.atproto.sync.getLatestCommit';
  const out = await client.query<unknown>(nsid, { did });
  if (!isRecord(out) || typeof out['cid'] !== 'string' || typeof out['rev'] !== 'string') bad(nsid, 'has no cid and rev');
  return { cid: out['cid'], rev: out['rev'] };
}

// ------------------------------------------------------------------------------------------
// blobs the host still misses

export interface MissingBlob {
  cid: string;
  recordUri: string;
}

/** Every page of `com.atproto.repo.listMissingBlobs` for the logged-in account. */
export async function* listMissingBlobs(client: XrpcClient, opts: { limit?: number } = {}): AsyncGenerator<MissingBlob> {
  const nsid = 'com.atproto.repo.listMissingBlobs';
  const limit = opts.limit ?? 500;
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const out = await client.query<unknown>(nsid, { limit, cursor });
    if (!isRecord(out) || !Array.isArray(out['blobs'])) bad(nsid, 'has no "blobs" list');
    let fresh = 0;
    for (const b of out['blobs']) {
      if (!isRecord(b) || typeof b['cid'] !== 'string') bad(nsid, 'lists a blob without a cid');
      const key = `${b['cid']} ${String(b['recordUri'] ?? '')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fresh++;
      yield { cid: b['cid'], recordUri: typeof b['recordUri'] === 'string' ? b['recordUri'] : '' };
    }
    const next = str(out, 'cursor');
    if (next === undefined || next === cursor || out['blobs'].length === 0 || fresh === 0) return;
    cursor = next;
  }
}

/** The distinct CIDs the host still misses. */
export async function missingBlobCids(client: XrpcClient): Promise<string[]> {
  const out = new Set<string>();
  for await (const b of listMissingBlobs(client)) out.add(b.cid);
  return [...out];
}

// ------------------------------------------------------------------------------------------
// preferences (app.bsky: private state kept on the PDS)

/** `app.bsky.actor.getPreferences`: the list of preference objects. */
export async function getPreferences(client: XrpcClient): Promise<unknown[]> {
  const nsid = 'app.bsky.actor.getPreferences';
  const out = await client.query<unknown>(nsid);
  if (!isRecord(out) || !Array.isArray(out['preferences'])) bad(nsid, 'has no "preferences" list');
  return out['preferences'];
}

/** `app.bsky.actor.putPreferences` (replaces the whole list). */
export async function putPreferences(client: XrpcClient, preferences: unknown[]): Promise<void> {
  await client.procedure('app.bsky.actor.putPreferences', { preferences }, { idempotent: true });
}

// ------------------------------------------------------------------------------------------
// PDS-managed identity (did:plc)

export interface DidCredentials {
  rotationKeys: string[];
  alsoKnownAs: string[];
  verificationMethods: Record<string, string>;
  services: Record<string, { type: string; endpoint: string }>;
}

/** `com.atproto.identity.getRecommendedDidCredentials` (checked for shape). */
export async function getRecommendedDidCredentials(client: XrpcClient): Promise<DidCredentials> {
  const nsid = 'com.atproto.identity.getRecommendedDidCredentials';
  const out = await client.query<unknown>(nsid);
  if (!isRecord(out)) bad(nsid, 'is not a JSON object');
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const vms: Record<string, string> = {};
  if (isRecord(out['verificationMethods'])) {
    for (const [k, v] of Object.entries(out['verificationMethods'])) if (typeof v === 'string') vms[k] = v;
  }
  const services: Record<string, { type: string; endpoint: string }> = {};
  if (isRecord(out['services'])) {
    for (const [k, v] of Object.entries(out['services'])) {
      if (isRecord(v) && typeof v['type'] === 'string' && typeof v['endpoint'] === 'string') services[k] = { type: v['type'], endpoint: v['endpoint'] };
    }
  }
  return { rotationKeys: strings(out['rotationKeys']), alsoKnownAs: strings(out['alsoKnownAs']), verificationMethods: vms, services };
}

/** `com.atproto.identity.requestPlcOperationSignature`: the host e-mails a short-lived token. */
export async function requestPlcOperationSignature(client: XrpcClient): Promise<void> {
  await client.procedure('com.atproto.identity.requestPlcOperationSignature');
}

export interface SignPlcOperationInput extends Partial<DidCredentials> {
  token: string;
}

/**
 * `com.atproto.identity.signPlcOperation`: the host signs (does not submit) an update on top of
 * the DID's current head with its rotation key. A refused token becomes auth 'PlcTokenRejected'.
 */
export async function signPlcOperation(client: XrpcClient, input: SignPlcOperationInput): Promise<unknown> {
  const nsid = 'com.atproto.identity.signPlcOperation';
  const body: Record<string, unknown> = { token: input.token };
  if (input.rotationKeys !== undefined) body['rotationKeys'] = input.rotationKeys;
  if (input.alsoKnownAs !== undefined) body['alsoKnownAs'] = input.alsoKnownAs;
  if (input.verificationMethods !== undefined) body['verificationMethods'] = input.verificationMethods;
  if (input.services !== undefined) body['services'] = input.services;
  let out: unknown;
  try {
    out = await client.procedure<unknown>(nsid, body);
  } catch (err) {
    if (err instanceof XrpcError && (err.xrpcError === 'ExpiredToken' || err.xrpcError === 'InvalidToken' || /token/i.test(err.message)) && err.status === 400) {
      err.message = err.message.split(input.token).join('***');
      throw invalid('PlcTokenRejected', `the PLC token was not accepted: ${err.message}`, {
        hint: 'tokens expire after about 15 minutes and work once; request a new one and use the code from the newest e-mail',
        details: { xrpcError: err.xrpcError, status: err.status },
      });
    }
    throw err;
  }
  if (!isRecord(out) || !isRecord(out['operation'])) bad(nsid, 'has no "operation"');
  return out['operation'];
}

/** `com.atproto.identity.submitPlcOperation`: the host checks the operation and sends it to the directory. */
export async function submitPlcOperation(client: XrpcClient, operation: unknown): Promise<void> {
  await client.procedure('com.atproto.identity.submitPlcOperation', { operation });
}

// ------------------------------------------------------------------------------------------
// session scope

export { accessScope };


/** True when the session was made with an app password (from its stored flag or its token's scope). */
export function isAppPasswordSession(session: SessionData): boolean {
  if (session.appPassword === true) return true;
  const scope = accessScope(session.accessJwt);
  return scope !== undefined && scope.startsWith('com.atproto.appPass');
}
