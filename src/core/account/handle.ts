/**
 * Changing an account's handle (spec:handle, https://atproto.com/specs/handle): before the PDS is
 * asked (`com.atproto.identity.updateHandle`), the new handle must already resolve to the
 * account's DID — by a DNS TXT record `_atproto.<handle>` = `did=<DID>` or by
 * `https://<handle>/.well-known/atproto-did` answering the DID — unless it lies under one of the
 * PDS's own handle domains (the PDS answers for those itself). When it does not, the plan says
 * exactly what to publish. After the change, the handle is verified both ways: it resolves to the
 * DID, and the DID document names it.
 */
import { invalid, usage } from '../errors.js';
import { handleInDomains, describeServer } from './admin.js';
import { lookupHandleMethods, resolveDid, resolveHandle, parseDidDocument, type HandleMethodLookup, type IdentityConfig } from '../identity/index.js';
import { checkHandle, normalizeHandle } from '../syntax/index.js';
import { getSession, sanitizeRemoteText, type XrpcClient } from '../xrpc/index.js';

export interface HandlePublishing {
  /** the DNS record: name, type and value */
  dns: { name: string; type: 'TXT'; value: string };
  /** the HTTPS alternative: the URL must answer exactly `body` (text/plain) */
  https: { url: string; body: string; contentType: 'text/plain' };
}

export interface HandleChangePlan {
  did: string;
  /** the handle now (from the PDS session) */
  currentHandle: string;
  handle: string;
  pds: string;
  /** the handle is under one of the PDS's own domains: the PDS answers for it */
  pdsDomain: boolean;
  dns: HandleMethodLookup | null;
  https: HandleMethodLookup | null;
  /** the PDS can be asked now: the handle resolves to this DID (or is the PDS's to give) */
  ready: boolean;
  /** why it is not ready, one statement each */
  problems: string[];
  /** what to publish (either one is enough), when the handle is a domain of the user's own */
  publish: HandlePublishing | null;
}

/** Where a handle must point at a DID: the DNS record and the well-known file. */
export function handlePublishing(handle: string, did: string): HandlePublishing {
  return {
    dns: { name: `_atproto.${handle}`, type: 'TXT', value: `did=${did}` },
    https: { url: `https://${handle}/.well-known/atproto-did`, body: did, contentType: 'text/plain' },
  };
}

function methodProblem(l: HandleMethodLookup, did: string, what: string): string | undefined {
  if (l.status === 'found' && l.did !== did) return `${what} names ${sanitizeRemoteText(l.did ?? '', 100)}, not ${did}`;
  if (l.status === 'conflict') return `${what} names several DIDs (${(l.dids ?? []).join(', ')}); exactly one is allowed`;
  return undefined;
}

/**
 * Checks, for the logged-in account behind `client`, whether `newHandle` can be set now, and says
 * what to publish if not. Nothing is changed.
 */
export async function planHandleChange(client: XrpcClient, identity: IdentityConfig, newHandle: string): Promise<HandleChangePlan> {
  const problem = checkHandle(newHandle);
  if (problem !== null) throw usage('InvalidHandle', `"${sanitizeRemoteText(newHandle, 100)}" is not a handle: ${problem}`);
  const handle = normalizeHandle(newHandle);
  const [session, description] = await Promise.all([getSession(client), describeServer(client)]);
  const did = session.did;
  const plan: HandleChangePlan = {
    did,
    currentHandle: session.handle,
    handle,
    pds: client.service,
    pdsDomain: handleInDomains(handle, description.availableUserDomains),
    dns: null,
    https: null,
    ready: false,
    problems: [],
    publish: null,
  };
  if (plan.pdsDomain) {
    plan.ready = true;
    return plan;
  }
  plan.publish = handlePublishing(handle, did);
  const { dns, https } = await lookupHandleMethods(identity, handle);
  plan.dns = dns;
  plan.https = https;
  for (const p of [methodProblem(dns, did, `the DNS record _atproto.${handle}`), methodProblem(https, did, `https://${handle}/.well-known/atproto-did`)]) {
    if (p !== undefined) plan.problems.push(p);
  }
  const points = (l: HandleMethodLookup): boolean => l.status === 'found' && l.did === did;
  // A resolver asks DNS first: a DNS record naming another DID wins over a correct well-known.
  if (!points(dns) && !points(https)) {
    plan.problems.push(`${handle} does not resolve to ${did} by DNS (${dns.detail}) or by HTTPS (${https.detail})`);
  }
  plan.ready = plan.problems.length === 0;
  return plan;
}

export interface HandleVerification {
  handle: string;
  did: string;
  /** the handle resolves to the DID */
  resolves: boolean;
  /** how it resolved (dns, https) */
  method?: string;
  /** the DID document names the handle (alsoKnownAs at://<handle>) */
  listed: boolean;
  verified: boolean;
  problems: string[];
}

/** The bi-directional check of a handle, uncached (right after a change). */
export async function verifyHandle(identity: IdentityConfig, handle: string, did: string): Promise<HandleVerification> {
  const out: HandleVerification = { handle, did, resolves: false, listed: false, verified: false, problems: [] };
  try {
    const forward = await resolveHandle(identity, handle, { noCache: true });
    out.method = forward.method;
    out.resolves = forward.did === did;
    if (!out.resolves) out.problems.push(`${handle} resolves to ${forward.did}, not ${did}`);
  } catch (err) {
    out.problems.push(err instanceof Error ? err.message : String(err));
  }
  try {
    const doc = parseDidDocument(did, await resolveDid(identity, did, { noCache: true }), { dev: identity.dev === true });
    out.listed = doc.claimedHandle === handle;
    if (!out.listed) out.problems.push(`the DID document of ${did} names ${doc.claimedHandle === undefined ? 'no handle' : doc.claimedHandle}, not ${handle}`);
  } catch (err) {
    out.problems.push(err instanceof Error ? err.message : String(err));
  }
  out.verified = out.resolves && out.listed;
  return out;
}

export interface HandleChangeResult {
  did: string;
  previousHandle: string;
  handle: string;
  verification: HandleVerification;
}

/**
 * Carries out a plan: refuses (invalid 'HandleNotReady', with the records to publish in the
 * details) when the handle does not resolve to the account yet; otherwise asks the PDS
 * (`com.atproto.identity.updateHandle`) and verifies the result both ways. A verification that
 * fails is reported in the result (`verification.verified` false), not thrown: the change is made.
 */
export async function applyHandleChange(client: XrpcClient, identity: IdentityConfig, plan: HandleChangePlan): Promise<HandleChangeResult> {
  if (!plan.ready) {
    const publish = plan.publish;
    throw invalid('HandleNotReady', `${plan.handle} does not resolve to ${plan.did} yet: ${plan.problems.join('; ')}`, {
      hint: publish
        ? `publish the DNS record ${publish.dns.name} ${publish.dns.type} "${publish.dns.value}", or serve ${publish.https.url} answering ${publish.https.body}; then try again`
        : undefined,
      details: { handle: plan.handle, did: plan.did, publish, problems: plan.problems },
    });
  }
  await client.procedure('com.atproto.identity.updateHandle', { handle: plan.handle });
  return { did: plan.did, previousHandle: plan.currentHandle, handle: plan.handle, verification: await verifyHandle(identity, plan.handle, plan.did) };
}
