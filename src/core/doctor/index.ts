/**
 * "Why can't anyone see this account?" — every link from a handle to a visible profile, checked
 * one by one and returned as data:
 *
 *   handle-dns, handle-https   the handle → DID by each method (and whether they agree)
 *   did-document               the DID resolves to a valid document with a signing key and a PDS
 *   handle-listed              the document names the handle (the other half of the two-way check)
 *   pds-reachable              the PDS endpoint answers (https; http only on loopback in dev mode)
 *   account-active             the PDS hosts the repository and reports it active
 *   repo-head                  the head commit verifies with the key in force
 *   relay:<host>               each relay knows the account at the PDS's current rev
 *   appview                    the AppView shows the profile, with the handle not marked invalid
 *   plc-log                    the PLC audit log verifies and the directory serves what it derives
 *
 * Each check is ok, fail (the data was checked and is wrong), unchecked (it could not run: network,
 * a service that does not answer), or skipped (it does not apply, or depends on one that did not
 * pass). The verdict is fail when any check failed, else unchecked when any could not run, else ok.
 * Hints say what to fix in protocol terms.
 */
import { AtcliError, isAtcliError } from '../errors.js';
import { describeServer, findRepoStatus, handleInDomains, type RepoStatus } from '../account/admin.js';
import { lookupHandleMethods, parseDidDocument, parseIdentifierInput, resolveDid, type HandleMethodLookup, type IdentityConfig } from '../identity/index.js';
import type { ParsedDidDocument } from '../identity/document.js';
import { PlcDirectoryClient } from '../plc/directory.js';
import { verifyPlcIdentity, type PlcIdentityCheck } from '../plc/check.js';
import { verifyHeadCommit } from '../repo/head.js';
import { compareRepoViews, repoView, type RepoView } from '../relay/accounts.js';
import { relayClient } from '../relay/hosts.js';
import { serviceOrigin } from '../net/service-url.js';
import { XrpcClient, XrpcError, sanitizeRemoteText } from '../xrpc/index.js';
import { sleep } from '../util/sleep.js';

export type CheckStatus = 'ok' | 'fail' | 'unchecked' | 'skipped';
export type Verdict = 'ok' | 'fail' | 'unchecked';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /**
   * What went wrong, as a stable PascalCase name (failed and unchecked checks), so that tools can
   * act on it and a front end can name its own fix: HandleOtherDid, AccountDeactivated, RelayBehind…
   */
  code?: string;
  /** what to do about it (failed and unchecked checks) */
  hint?: string;
}

export interface DoctorReport {
  /** what was asked about */
  target: string;
  did: string | null;
  handle: string | null;
  pds: string | null;
  verdict: Verdict;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  identity: IdentityConfig;
  /** a handle, a DID, or an at:// URI */
  target: string;
  /** relays that should follow the account (https:// or wss://) */
  relays?: string[];
  /** the AppView to ask; null or absent: the check is skipped */
  appview?: string | null;
  /** how long a relay behind the PDS gets to catch up before it counts as lagging (default 3000 ms) */
  relayGraceMs?: number;
  /** told about each check as it finishes, with what is known of the account by then */
  onCheck?: (check: DoctorCheck, known: DoctorSubject) => void;
}

/** The account as far as it is known: the DID and handle once resolved, the PDS once the DID document is read. */
export interface DoctorSubject {
  did: string | null;
  handle: string | null;
  pds: string | null;
}

export function verdictOf(checks: readonly DoctorCheck[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'unchecked')) return 'unchecked';
  return 'ok';
}

function message(err: unknown): string {
  return isAtcliError(err) || err instanceof Error ? err.message : String(err);
}

function rethrowInterrupt(err: unknown): void {
  if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
}

/** Errors that mean "the service could not be asked" rather than "it said no". */
function couldNotAsk(err: unknown): boolean {
  if (!(err instanceof AtcliError)) return true;
  if (err instanceof XrpcError) return err.status >= 500 || err.status === 429;
  return err.kind === 'runtime';
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const { identity } = opts;
  const http = identity.http;
  const checks: DoctorCheck[] = [];
  const known: DoctorSubject = { did: null, handle: null, pds: null };
  const add = (c: DoctorCheck): DoctorCheck => {
    const clean: DoctorCheck = { name: c.name, status: c.status, detail: sanitizeRemoteText(c.detail, 600), ...(c.code !== undefined ? { code: c.code } : {}), ...(c.hint !== undefined ? { hint: c.hint } : {}) };
    checks.push(clean);
    opts.onCheck?.(clean, { ...known });
    return clean;
  };
  const skip = (name: string, why: string): DoctorCheck => add({ name, status: 'skipped', detail: why });
  const relays = (opts.relays ?? []).map((r) => ({ url: r, name: `relay:${safeHost(r)}` }));
  const order = ['handle-dns', 'handle-https', 'did-document', 'handle-listed', 'pds-reachable', 'account-active', 'repo-head', ...relays.map((r) => r.name), 'appview', 'plc-log'];
  const report = (did: string | null, handle: string | null, pds: string | null): DoctorReport => {
    flushHandleChecks();
    checks.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    return { target: opts.target, did, handle, pds, verdict: verdictOf(checks), checks };
  };
  // The handle checks are reported once the account's state is known: a PDS does not answer for
  // the handle of an account that is not active, which is not a second fault.
  let handleChecks: DoctorCheck[] = [];
  const flushHandleChecks = (inactiveOnItsPds?: { domains: string[]; status: string }): void => {
    for (const c of handleChecks) {
      const servedByPds = inactiveOnItsPds !== undefined && handle !== null && handleInDomains(handle, inactiveOnItsPds.domains);
      if (servedByPds && c.status === 'fail' && /does not resolve by/.test(c.detail)) {
        add({ name: c.name, status: 'skipped', detail: `${c.detail} (the PDS does not answer for the handles of accounts that are ${inactiveOnItsPds.status})` });
      } else add(c);
    }
    handleChecks = [];
  };
  const skipRest = (why: string, from: string): void => {
    for (const name of order.slice(order.indexOf(from), order.indexOf('plc-log'))) skip(name, why);
  };

  // ---- which DID, which handle -------------------------------------------------------------
  const input = parseIdentifierInput(opts.target);
  let did: string | null = 'did' in input ? input.did : null;
  let handle: string | null = 'handle' in input ? input.handle.toLowerCase() : null;
  const readDoc = async (d: string): Promise<{ parsed?: ParsedDidDocument; error?: unknown }> => {
    try {
      return { parsed: parseDidDocument(d, await resolveDid(identity, d, { noCache: true }), { dev: identity.dev === true }) };
    } catch (err) {
      rethrowInterrupt(err);
      return { error: err };
    }
  };

  let lookups: { dns: HandleMethodLookup; https: HandleMethodLookup } | null = null;
  if (handle !== null) {
    lookups = await lookupHandleMethods(identity, handle);
    const found = [...new Set([lookups.dns, lookups.https].filter((l) => l.status === 'found').map((l) => l.did as string))];
    // When the methods disagree, the account is the one whose document names the handle (else
    // DNS's, which resolvers prefer).
    did = found[0] ?? null;
    if (found.length === 2) {
      did = lookups.dns.did as string;
      for (const candidate of found) {
        if ((await readDoc(candidate)).parsed?.claimedHandle === handle) {
          did = candidate;
          break;
        }
      }
    }
  }
  const docRead = did === null ? null : await readDoc(did);
  const parsed = docRead?.parsed;
  if (handle === null && parsed?.claimedHandle !== undefined) {
    handle = parsed.claimedHandle;
    lookups = await lookupHandleMethods(identity, handle).catch((err: unknown) => {
      rethrowInterrupt(err);
      return null;
    });
  }
  Object.assign(known, { did, handle, pds: parsed?.pds ?? null });

  // ---- handle → DID, each method -------------------------------------------------------------
  if (handle === null) {
    const why = 'there is no handle to check (the DID document names none)';
    handleChecks = [
      { name: 'handle-dns', status: 'skipped', detail: why },
      { name: 'handle-https', status: 'skipped', detail: why },
    ];
  } else if (lookups === null) {
    handleChecks = [
      { name: 'handle-dns', status: 'unchecked', code: 'LookupFailed', detail: `${handle} cannot be looked up` },
      { name: 'handle-https', status: 'unchecked', code: 'LookupFailed', detail: `${handle} cannot be looked up` },
    ];
  } else {
    const { dns, https } = lookups;
    handleChecks = [methodCheck(dns, https, handle, did), methodCheck(https, dns, handle, did)];
  }
  if (did === null) {
    skipRest(`${handle ?? opts.target} resolves to no DID`, 'did-document');
    skip('plc-log', 'no DID to check');
    return report(null, handle, null);
  }

  // Independent of everything else: the PLC log, checked while the rest runs.
  const plcCheck = did.startsWith('did:plc:')
    ? verifyPlcIdentity(new PlcDirectoryClient({ http, plcUrl: identity.plcUrl }), did).then(
        (r): PlcOutcome => ({ ok: true, r }),
        (err: unknown): PlcOutcome => ({ ok: false, err }),
      )
    : null;
  const finish = async (pds: string | null): Promise<DoctorReport> => {
    add(plcCheck === null ? { name: 'plc-log', status: 'skipped', detail: 'not a did:plc' } : plcResult(await plcCheck));
    return report(did, handle, pds);
  };

  // ---- the DID document --------------------------------------------------------------------
  if (parsed === undefined) {
    const err = docRead?.error;
    const unreachable = couldNotAsk(err) && !(isAtcliError(err) && (err.kind === 'notFound' || err.kind === 'invalid'));
    add({
      name: 'did-document',
      status: unreachable ? 'unchecked' : 'fail',
      code: unreachable ? 'DidUnresolvable' : 'DidDocumentMissing',
      detail: `${did}: ${message(err)}`,
      hint: unreachable ? 'the DID could not be resolved now; try again' : did.startsWith('did:web:') ? `serve a valid DID document at https://${did.slice(8).replace(/%3A/gi, ':')}/.well-known/did.json` : 'the PLC directory has no valid document for this DID',
    });
    skipRest('the DID document could not be read', 'handle-listed');
    return finish(null);
  }
  const docProblems = [...(parsed.signingKey === undefined ? ['it has no usable #atproto signing key'] : []), ...(parsed.pds === undefined ? ['it names no usable PDS (#atproto_pds)'] : [])];
  add(
    docProblems.length === 0
      ? { name: 'did-document', status: 'ok', detail: `${did}: signing key ${parsed.signingKey!.did()}, PDS ${parsed.pds}` }
      : {
          name: 'did-document',
          status: 'fail',
          code: 'DidDocumentUnusable',
          detail: `the DID document of ${did} is not usable: ${docProblems.join('; ')}${parsed.warnings.length > 0 ? ` (${parsed.warnings.slice(0, 3).join('; ')})` : ''}`,
          hint: 'the document needs a verification method #atproto (Multikey) and a service #atproto_pds of type AtprotoPersonalDataServer with an https endpoint',
        },
  );

  // ---- the handle, the other way -------------------------------------------------------------
  if (handle === null) {
    add({ name: 'handle-listed', status: 'fail', code: 'HandleNotListed', detail: `the DID document of ${did} names no handle (alsoKnownAs has no at:// entry)`, hint: 'add at://<handle> to alsoKnownAs in the DID document (for did:plc, the PDS does it on a handle update)' });
  } else if (parsed.claimedHandle === handle) {
    add({ name: 'handle-listed', status: 'ok', detail: `the DID document names ${handle}` });
  } else {
    add({
      name: 'handle-listed',
      status: 'fail',
      code: 'HandleNotListed',
      detail: `the DID document of ${did} names ${parsed.claimedHandle ?? 'no handle'}, not ${handle}`,
      hint: `the handle must be the first at:// entry of alsoKnownAs: update the handle through the PDS (com.atproto.identity.updateHandle), or point ${handle} at the DID that names it`,
    });
  }

  // ---- the PDS -------------------------------------------------------------------------------
  const pdsUrl = parsed.pds ?? null;
  let pdsRepo: RepoView | null | undefined; // undefined: unknown
  let active = false;
  if (pdsUrl === null) {
    skipRest('the DID document names no PDS', 'pds-reachable');
    return finish(null);
  }
  const pds = new XrpcClient({ service: pdsUrl, http });
  let reachable = false;
  let domains: string[] = [];
  try {
    const d = await describeServer(pds);
    reachable = true;
    domains = d.availableUserDomains;
    add({ name: 'pds-reachable', status: 'ok', detail: `${pdsUrl} answers describeServer (${d.did})` });
  } catch (err) {
    rethrowInterrupt(err);
    add({ name: 'pds-reachable', status: 'fail', code: 'PdsNotAnswering', detail: `${pdsUrl} does not answer com.atproto.server.describeServer: ${message(err)}`, hint: 'the #atproto_pds endpoint in the DID document must be the PDS that hosts the account, reachable over https' });
  }
  if (reachable) {
    try {
      const status: RepoStatus | null = await findRepoStatus(pds, did);
      pdsRepo = status === null ? null : repoView(status);
      if (status === null) {
        add({ name: 'account-active', status: 'fail', code: 'RepoNotOnPds', detail: `${pdsUrl} has no repository for ${did}`, hint: 'the DID document names a PDS that does not host this account: point #atproto_pds at the PDS that does (or move the account there)' });
      } else if (status.active) {
        active = true;
        add({ name: 'account-active', status: 'ok', detail: `active at rev ${status.rev ?? '(none given)'}` });
      } else {
        add({ name: 'account-active', status: 'fail', code: inactiveCode(status.status), detail: `the PDS reports the account inactive (${status.status ?? 'no reason given'})`, hint: inactiveHint(status.status) });
        flushHandleChecks({ domains, status: status.status ?? 'inactive' });
      }
    } catch (err) {
      rethrowInterrupt(err);
      add({ name: 'account-active', status: 'unchecked', code: 'RepoStatusFailed', detail: `com.atproto.sync.getRepoStatus failed: ${message(err)}` });
    }
  } else {
    skip('account-active', 'the PDS does not answer');
  }

  // ---- what depends on the account's own state -----------------------------------------------
  const head = async (): Promise<DoctorCheck> => {
    if (!reachable) return { name: 'repo-head', status: 'skipped', detail: 'the PDS does not answer' };
    if (!active) return { name: 'repo-head', status: 'skipped', detail: 'the account is not active on its PDS' };
    if (parsed.signingKey === undefined) return { name: 'repo-head', status: 'skipped', detail: 'the DID document has no signing key to verify with' };
    try {
      const h = await verifyHeadCommit(pds, did!, parsed.signingKey);
      if (h.valid) return { name: 'repo-head', status: 'ok', detail: `the head commit (rev ${h.commit?.rev ?? h.rev}) is signed by ${h.key}` };
      return {
        name: 'repo-head',
        status: 'fail',
        code: h.signatureValid === false ? 'HeadKeyMismatch' : 'HeadInvalid',
        detail: h.problems.join('; '),
        hint:
          h.signatureValid === false
            ? "the PDS signs commits with a key the DID document does not name: the #atproto verification method must be the PDS's signing key for this account (com.atproto.identity.getRecommendedDidCredentials)"
            : 'the PDS serves a head commit or tree that does not verify: report it to the PDS operator',
      };
    } catch (err) {
      rethrowInterrupt(err);
      return { name: 'repo-head', status: 'unchecked', code: 'HeadUnavailable', detail: `the head commit could not be fetched: ${message(err)}` };
    }
  };
  const relayChecks = relays.map(async ({ url, name }): Promise<DoctorCheck> => {
    if (pdsRepo === undefined) return { name, status: 'skipped', detail: "the PDS's own state of the account is unknown" };
    if (pdsRepo === null) return { name, status: 'skipped', detail: 'the PDS does not host the account' };
    try {
      const client = relayClient(http, url);
      const ask = async (): Promise<RepoView | null> => {
        const s = await findRepoStatus(client, did!);
        return s === null ? null : repoView(s);
      };
      let seen = await ask();
      let agreement = compareRepoViews(seen, pdsRepo);
      if (agreement === 'behind') {
        // A commit made a moment ago may still be on its way.
        await sleep(opts.relayGraceMs ?? 3000, http.signal);
        seen = await ask();
        agreement = compareRepoViews(seen, pdsRepo);
        if (agreement === 'ahead') agreement = 'in-sync';
      }
      return relayCheck(name, agreement, seen, pdsRepo, pdsUrl);
    } catch (err) {
      rethrowInterrupt(err);
      return { name, status: 'unchecked', code: 'RelayUnreachable', detail: `${safeHost(url)} could not be asked: ${message(err)}` };
    }
  });
  const appview = async (): Promise<DoctorCheck> => {
    if (opts.appview === undefined || opts.appview === null) return { name: 'appview', status: 'skipped', detail: 'no AppView given' };
    if (pdsRepo === undefined) return { name: 'appview', status: 'skipped', detail: "the PDS's own state of the account is unknown" };
    if (!active) return { name: 'appview', status: 'skipped', detail: 'the account is not active: AppViews do not show inactive accounts' };
    return appviewCheck(new XrpcClient({ service: serviceOrigin(opts.appview), http }), did!, handle);
  };
  const [headResult, appviewResult, ...relayResults] = await Promise.all([head(), appview(), ...relayChecks]);
  add(headResult);
  for (const r of relayResults) add(r);
  add(appviewResult);
  return finish(pdsUrl);
}

// ------------------------------------------------------------------------------------------
// the checks' wording

function safeHost(url: string): string {
  try {
    return new URL(serviceOrigin(url)).host;
  } catch {
    return sanitizeRemoteText(url, 100);
  }
}

function methodCheck(l: HandleMethodLookup, other: HandleMethodLookup, handle: string, did: string | null): DoctorCheck {
  const name = l.method === 'dns' ? 'handle-dns' : 'handle-https';
  const where = l.method === 'dns' ? `the TXT record _atproto.${handle}` : `https://${handle}/.well-known/atproto-did`;
  const fix = did === null ? '' : l.method === 'dns' ? `set the TXT record _atproto.${handle} to "did=${did}" (one did= value only)` : `serve ${did} as text/plain at https://${handle}/.well-known/atproto-did`;
  const otherFound = other.status === 'found' && other.did === did;
  switch (l.status) {
    case 'found':
      if (did !== null && l.did !== did) {
        return { name, status: 'fail', code: 'HandleOtherDid', detail: `${where} names ${l.did}, not ${did}${l.method === 'dns' ? ' (resolvers ask DNS first, so the handle resolves to the wrong DID)' : ' (the two methods disagree)'}`, hint: `${fix}, or remove it` };
      }
      return { name, status: 'ok', detail: `${where} names ${l.did}${otherFound && other.did === l.did ? ' (both methods agree)' : ''}` };
    case 'conflict':
      return { name, status: 'fail', code: 'HandleSeveralDids', detail: `${where} holds several DIDs: ${(l.dids ?? []).join(', ')}`, hint: `${fix}; remove the others` };
    case 'none':
      if (otherFound) return { name, status: 'skipped', detail: `not set (${l.detail}); the handle resolves by ${other.method === 'dns' ? 'DNS' : 'HTTPS'}` };
      return {
        name,
        status: 'fail',
        code: 'HandleNotResolving',
        detail: `${handle} does not resolve by ${l.method === 'dns' ? 'DNS' : 'HTTPS'}: ${l.detail}`,
        hint: did === null ? `publish the TXT record _atproto.${handle} = "did=<DID>" or serve the DID at https://${handle}/.well-known/atproto-did` : `${fix} (either method is enough)`,
      };
    case 'error':
      return { name, status: 'unchecked', code: 'LookupFailed', detail: `the ${l.method === 'dns' ? 'DNS' : 'HTTPS'} look-up failed: ${l.detail}`, hint: 'a temporary failure; try again' };
  }
}

function inactiveCode(status: string | undefined): string {
  switch (status) {
    case 'deactivated':
      return 'AccountDeactivated';
    case 'takendown':
    case 'suspended':
      return 'AccountTakenDown';
    case 'deleted':
      return 'AccountDeleted';
    default:
      return 'AccountInactive';
  }
}

function inactiveHint(status: string | undefined): string {
  switch (status) {
    case 'deactivated':
      return 'the account deactivated itself: it can be activated again with com.atproto.server.activateAccount (logged in with the account password)';
    case 'takendown':
    case 'suspended':
      return 'the PDS operator took the account down; only they can lift it';
    case 'deleted':
      return 'the account was deleted on this PDS';
    default:
      return 'ask the PDS operator why the account is not active';
  }
}

function relayCheck(name: string, agreement: ReturnType<typeof compareRepoViews>, seen: RepoView | null, pds: RepoView, pdsUrl: string): DoctorCheck {
  const crawl = `ask the relay to crawl the PDS (com.atproto.sync.requestCrawl with hostname ${new URL(pdsUrl).host}) and check the host's status on the relay (com.atproto.sync.getHostStatus)`;
  switch (agreement) {
    case 'in-sync':
    case 'ahead':
      return { name, status: 'ok', detail: pds.active ? `follows the account at rev ${seen?.rev ?? pds.rev ?? '?'}` : `agrees the account is ${pds.status ?? 'inactive'}` };
    case 'behind':
      return { name, status: 'fail', code: 'RelayBehind', detail: `the relay is at rev ${seen?.rev}, the PDS at ${pds.rev}: it has not taken the account's latest commits`, hint: crawl };
    case 'missing':
      return { name, status: 'fail', code: 'RelayMissing', detail: 'the relay does not know the account', hint: crawl };
    case 'status-differs':
      return {
        name,
        status: 'fail',
        code: 'RelayStatusDiffers',
        detail: `the relay says ${seen?.active === true ? 'active' : `inactive (${seen?.status ?? 'no reason'})`}, the PDS says ${pds.active ? 'active' : `inactive (${pds.status ?? 'no reason'})`}`,
        hint: `the relay missed an #account event: ${crawl}`,
      };
  }
}

async function appviewCheck(client: XrpcClient, did: string, handle: string | null): Promise<DoctorCheck> {
  const name = 'appview';
  const host = new URL(client.service).host;
  let profile: unknown;
  try {
    profile = await client.query<unknown>('app.bsky.actor.getProfile', { actor: did });
  } catch (err) {
    rethrowInterrupt(err);
    if (err instanceof XrpcError && err.status === 400) {
      return {
        name,
        status: 'fail',
        code: 'AppViewNoProfile',
        detail: `${host} has no profile for ${did}: ${err.message}`,
        hint: 'an AppView indexes accounts from a relay\'s firehose: make sure a relay follows the account (see the relay checks) and the account has made a commit since',
      };
    }
    return { name, status: 'unchecked', code: 'AppViewUnreachable', detail: `${host} could not be asked: ${message(err)}` };
  }
  const shown = typeof profile === 'object' && profile !== null ? (profile as { handle?: unknown }).handle : undefined;
  if (typeof shown !== 'string') return { name, status: 'fail', code: 'AppViewNoHandle', detail: `${host} answered without a handle for ${did}` };
  if (shown === 'handle.invalid') {
    return {
      name,
      status: 'fail',
      code: 'AppViewHandleInvalid',
      detail: `${host} marks the handle invalid (it could not verify ${handle ?? 'the handle'} both ways when it last looked)`,
      hint: 'fix the handle checks above; the AppView looks again on the account\'s next #identity event (com.atproto.identity.refreshIdentity, or a handle update)',
    };
  }
  if (handle !== null && shown !== handle) {
    return { name, status: 'fail', code: 'AppViewOtherHandle', detail: `${host} shows the handle ${sanitizeRemoteText(shown, 253)}, not ${handle}`, hint: 'the AppView has not seen the latest #identity event: a handle update (or com.atproto.identity.refreshIdentity) makes it look again' };
  }
  return { name, status: 'ok', detail: `${host} shows the profile as ${shown}` };
}

type PlcOutcome = { ok: true; r: PlcIdentityCheck } | { ok: false; err: unknown };

function plcResult(outcome: PlcOutcome): DoctorCheck {
  if (!outcome.ok) {
    rethrowInterrupt(outcome.err);
    const missing = isAtcliError(outcome.err) && outcome.err.code === 'DidNotFound';
    return missing
      ? { name: 'plc-log', status: 'fail', code: 'PlcDidUnknown', detail: `the PLC directory does not know the DID: ${message(outcome.err)}` }
      : { name: 'plc-log', status: 'unchecked', code: 'PlcUnreachable', detail: `the PLC directory could not be asked: ${message(outcome.err)}` };
  }
  const r = outcome.r;
  if (r.valid) return { name: 'plc-log', status: 'ok', detail: `${r.log.operations.length} operation(s) verify; the directory serves the document the log derives` };
  return {
    name: 'plc-log',
    status: 'fail',
    code: 'PlcLogInvalid',
    detail: r.problems.slice(0, 3).join('; ') + (r.problems.length > 3 ? `; and ${r.problems.length - 3} more` : ''),
    hint: 'the directory\'s log or document is inconsistent: report it to the directory operator; an operation signed by a rotation key you hold can supersede an invalid head',
  };
}
