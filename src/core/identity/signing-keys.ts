/**
 * Which keys may have signed a DID's repository commits, and the verdict on one signature.
 *
 * A commit is judged against the DID's signing key now and, for did:plc, every key its audit log
 * ever put in force: signed by the current key → valid; by a key that was in force earlier but
 * not now → historical (a genuine snapshot from before the key changed); by a key never in force
 * → invalid; keys that cannot be obtained (network, unknown DID, no key) → unchecked, with the
 * reason. did:web keeps no history, so a key other than the current one cannot be told from a
 * forgery. See docs/key-history.md and docs/verdicts.md.
 */
import { AtcliError, isAtcliError, usage } from '../errors.js';
import { SIGNATURE_MISMATCH, checkSignatureBytes, parseDidKey, verifySignature, type PublicKey, type VerifyResult } from '../crypto/index.js';
import { PlcDirectoryClient } from '../plc/directory.js';
import { signingKeyHistory, windowsOfKey, type SigningKeyHistory } from '../plc/key-history.js';
import { checkDidPlc } from '../syntax/index.js';
import { cacheFor } from './cache.js';
import { resolveDid } from './did.js';
import { parseDidDocument } from './document.js';
import type { AtprotoIdentity, IdentityConfig } from './types.js';

/** Where the keys a signature is judged against come from. */
export interface SigningKeySource {
  /** A key the caller supplied: the only acceptable one; nothing is looked up. */
  readonly given?: PublicKey;
  /**
   * The atproto signing key (did:key) the DID document names now, or null when it names none.
   * `fresh` bypasses caches. Throws AtcliError when the document cannot be obtained.
   */
  currentKey(did: string, options?: { fresh?: boolean }): Promise<string | null>;
  /**
   * Every signing key the DID had and when, or null for DID methods that keep no history
   * (did:web). Throws AtcliError when the history cannot be obtained.
   */
  keyHistory(did: string, options?: { fresh?: boolean }): Promise<SigningKeyHistory | null>;
  /** Forget what is cached about `did` (its document or key changed). */
  forget(did: string): void;
}

/** A key given by the caller: the only key accepted, whatever the DID. */
export function givenKeySource(key: PublicKey): SigningKeySource {
  return {
    given: key,
    currentKey: async () => key.did(),
    keyHistory: async () => null,
    forget: () => undefined,
  };
}

export interface ResolverKeySourceOptions {
  /** An identity already resolved (its document is reused for the first, non-fresh look-up). */
  known?: AtprotoIdentity;
  /** How many did:plc histories to keep (default 1000). */
  maxCachedHistories?: number;
}

/**
 * Keys from the network: the current key from the DID document (did:plc through the PLC
 * directory, did:web from its host), and for did:plc the history replayed from the directory's
 * audit log (`/log/audit`, verified operation by operation).
 */
export function resolverKeySource(config: IdentityConfig, options: ResolverKeySourceOptions = {}): SigningKeySource {
  let known = options.known;
  const maxHistories = options.maxCachedHistories ?? 1000;
  const histories = new Map<string, Promise<SigningKeyHistory>>();
  let directory: PlcDirectoryClient | undefined;
  const fetchHistory = async (did: string): Promise<SigningKeyHistory> => {
    directory ??= new PlcDirectoryClient({ http: config.http, plcUrl: config.plcUrl });
    return signingKeyHistory(did, await directory.getAuditLog(did));
  };
  return {
    async currentKey(did, o = {}) {
      if (o.fresh !== true && known?.did === did) return known.signingKey ?? null;
      const doc = await resolveDid(config, did, { noCache: o.fresh === true });
      return parseDidDocument(did, doc, { dev: config.dev === true }).signingKey?.did() ?? null;
    },
    async keyHistory(did, o = {}) {
      if (!did.startsWith('did:plc:')) return null;
      const reason = checkDidPlc(did);
      if (reason !== null) throw usage('InvalidDid', `invalid did:plc ${JSON.stringify(did.slice(0, 100))}: ${reason}`);
      let pending = o.fresh === true ? undefined : histories.get(did);
      if (pending === undefined) {
        pending = fetchHistory(did);
        histories.delete(did);
        histories.set(did, pending);
        if (histories.size > maxHistories) histories.delete(histories.keys().next().value as string);
        pending.catch(() => {
          if (histories.get(did) === pending) histories.delete(did);
        });
      }
      return pending;
    },
    forget(did) {
      histories.delete(did);
      if (known?.did === did) known = undefined;
      cacheFor(config).invalidate(did);
    },
  };
}

export type SignatureStatus = 'valid' | 'historical' | 'invalid' | 'unchecked';

/** A period in which a key was the DID's signing key (from its audit log). */
export interface KeyWindow {
  from: string;
  /** null: still in force. */
  until: string | null;
  /** Set by an operation that a recovery later nullified. */
  nullified: boolean;
  /** CID of the PLC operation that put the key in force. */
  operation: string;
}

export interface SignatureVerdict {
  status: SignatureStatus;
  /** The key that made the signature (valid, historical, or historical refused as not current). */
  key: string | null;
  /** The DID's signing key now, as found (null: none, or it could not be obtained). */
  currentKey: string | null;
  /** Which keys were tried: none (the signature is malformed), the given key, the current key only, or the history too. */
  keysChecked: 'none' | 'given' | 'current' | 'history';
  /** The windows in which `key` was in force (historical only; empty otherwise). */
  windows: KeyWindow[];
  /** Why the signature could not be checked (unchecked only). */
  reason: string | null;
  /** One sentence for people. */
  detail: string;
  /** Facts worth a warning: the audit log has problems, the key was set by a nullified operation. */
  notes: string[];
}

export interface JudgeSignatureOptions {
  /** A signature by an earlier key is invalid, not historical. */
  currentKeyOnly?: boolean;
}

/** What a signature covers and the signature itself. */
export interface SignedBytes {
  message: Uint8Array;
  sig: Uint8Array;
}

/** Errors that mean "the key could not be obtained"; an interruption or a bug passes through. */
function lookupFailure(err: unknown): AtcliError {
  if (!isAtcliError(err) || err.kind === 'interrupted') throw err;
  return err;
}

/** A failed verification's reason worth repeating (a malformed signature, an unusable key), as a prefix. */
function mismatchReason(r: VerifyResult): string {
  return r.ok || r.reason === SIGNATURE_MISMATCH ? '' : `${r.reason}: `;
}

function describeWindow(w: KeyWindow): string {
  return `from ${w.from} ${w.until === null ? 'on' : `until ${w.until}`}${w.nullified ? ' (set by an operation later nullified)' : ''}`;
}

/**
 * The verdict on `signed`, a signature claimed to be by `did`'s signing key. Look-up failures
 * become `unchecked` with the reason; only an interruption (and a bug) is thrown.
 */
export async function judgeSignature(did: string, signed: SignedBytes, source: SigningKeySource, options: JudgeSignatureOptions = {}): Promise<SignatureVerdict> {
  const verdict = (status: SignatureStatus, fields: Partial<SignatureVerdict> & { detail: string; keysChecked: SignatureVerdict['keysChecked'] }): SignatureVerdict => ({
    status,
    key: null,
    currentKey: null,
    windows: [],
    reason: null,
    notes: [],
    ...fields,
  });

  // A signature no key of either curve could accept fails without any look-up.
  const malformed = checkSignatureBytes(signed.sig, 'k256');
  if (malformed !== null && checkSignatureBytes(signed.sig, 'p256') !== null) {
    return verdict('invalid', { keysChecked: 'none', detail: malformed });
  }

  if (source.given !== undefined) {
    const given = source.given.did();
    const r = verifySignature(source.given, signed.message, signed.sig);
    return r.ok
      ? verdict('valid', { keysChecked: 'given', key: given, currentKey: given, detail: `valid ${source.given.type} signature by the given key ${given}` })
      : verdict('invalid', { keysChecked: 'given', currentKey: given, detail: `${r.reason}: not signed by the given key ${given}, the only key accepted` });
  }

  const tried = new Map<string, VerifyResult>();
  const attempt = (didKey: string): VerifyResult => {
    let r = tried.get(didKey);
    if (r === undefined) {
      let key: PublicKey | undefined;
      try {
        key = parseDidKey(didKey);
      } catch (err) {
        r = { ok: false, reason: `${didKey} is not a usable key (${isAtcliError(err) ? err.message : String(err)})` };
      }
      r ??= verifySignature(key as PublicKey, signed.message, signed.sig);
      tried.set(didKey, r);
    }
    return r;
  };
  const validBy = (key: string, keysChecked: SignatureVerdict['keysChecked'], notes: string[] = []): SignatureVerdict =>
    verdict('valid', { keysChecked, key, currentKey: key, notes, detail: `valid ${parseDidKey(key).type} signature by ${key}, the current signing key of ${did}` });

  // The key in the DID document now; once more bypassing caches when it fails (it may have just changed).
  let current: string | null | undefined;
  let currentError: AtcliError | undefined;
  try {
    current = await source.currentKey(did);
  } catch (err) {
    currentError = lookupFailure(err);
  }
  if (current && attempt(current).ok) return validBy(current, 'current');
  if (current !== undefined) {
    try {
      const fresh = await source.currentKey(did, { fresh: true });
      if (fresh !== current) {
        current = fresh;
        if (current && attempt(current).ok) return validBy(current, 'current');
      }
    } catch (err) {
      lookupFailure(err); // judged on the document already fetched
    }
  }

  let history: SigningKeyHistory | null | undefined;
  let historyError: AtcliError | undefined;
  try {
    history = await source.keyHistory(did);
  } catch (err) {
    historyError = lookupFailure(err);
  }

  if (history === null) {
    if (current === undefined) {
      const reason = `could not get the signing key of ${did}: ${currentError?.message ?? 'unknown error'}`;
      return verdict('unchecked', { keysChecked: 'current', reason, detail: reason });
    }
    if (current === null) {
      const reason = `the DID document of ${did} names no atproto signing key`;
      return verdict('unchecked', { keysChecked: 'current', reason, detail: reason });
    }
    const why = mismatchReason(attempt(current));
    const detail = did.startsWith('did:web:')
      ? `${why}not signed by ${current}, the key in the current DID document of ${did}; did:web keeps no key history, so an earlier key cannot be told from a forgery`
      : `${why}not signed by ${current}, the current signing key of ${did} (earlier keys were not looked up)`;
    return verdict('invalid', { keysChecked: 'current', currentKey: current, detail });
  }

  if (history === undefined) {
    const cause = historyError?.message ?? currentError?.message ?? 'unknown error';
    const reason =
      current === undefined
        ? `could not get the signing keys of ${did}: ${currentError?.message ?? cause}`
        : `the signature is not by ${current === null ? 'a current key (the DID document names none)' : `the current signing key ${current}`}, and the key history of ${did} could not be fetched: ${cause}`;
    return verdict('unchecked', { keysChecked: 'current', currentKey: current ?? null, reason, detail: reason });
  }

  const notes: string[] = [];
  if (!history.logValid) notes.push(`the audit log of ${did} does not verify in full; only the operations it accepts count`);
  if (current === undefined) {
    notes.push(`the DID document of ${did} could not be fetched (${currentError?.message ?? 'unknown error'}); the current key is taken from the audit log`);
    current = history.current;
    if (current && attempt(current).ok) return validBy(current, 'history', notes);
  } else if (current !== history.current) {
    notes.push(`the DID document of ${did} names ${current ?? 'no signing key'}, but its audit log ends with ${history.current ?? 'no signing key'}`);
  }

  let signer: string | undefined;
  const earlier = new Set<string>();
  for (const w of history.windows) {
    if (w.key === null || w.key === current || earlier.has(w.key)) continue;
    earlier.add(w.key);
    if (attempt(w.key).ok) {
      signer = w.key;
      break;
    }
  }
  if (signer === undefined) {
    if (!current && earlier.size === 0) {
      const reason = `${did} has no atproto signing key, now or in its audit log`;
      return verdict('unchecked', { keysChecked: 'history', reason, detail: reason, notes });
    }
    const why = current ? mismatchReason(attempt(current)) : '';
    const detail = `${why}not signed by any key that was ever the signing key of ${did} (the current key ${current ?? '(none)'} and ${earlier.size} earlier key${earlier.size === 1 ? '' : 's'} from its audit log were tried)`;
    return verdict('invalid', { keysChecked: 'history', currentKey: current ?? null, detail, notes });
  }

  const windows: KeyWindow[] = windowsOfKey(history, signer).map((w) => ({ from: w.from, until: w.until, nullified: w.nullified, operation: w.cid }));
  if (windows.some((w) => w.nullified)) notes.push(`${signer} was put in force by an operation that a recovery later nullified`);
  const when = windows.map(describeWindow).join(', ');
  const now = current ? `the current key is ${current}` : `${did} has no signing key now`;
  if (options.currentKeyOnly === true) {
    return verdict('invalid', {
      keysChecked: 'history',
      key: signer,
      currentKey: current ?? null,
      windows,
      notes,
      detail: `signed by ${signer}, the signing key of ${did} ${when}, not by the current key; ${now}, and only the current key is accepted`,
    });
  }
  return verdict('historical', {
    keysChecked: 'history',
    key: signer,
    currentKey: current ?? null,
    windows,
    notes,
    detail: `signed by ${signer}, the signing key of ${did} ${when}; ${now}: a snapshot from before the key changed`,
  });
}
