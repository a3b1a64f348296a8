/**
 * Labels (docs/labels.md; https://atproto.com/specs/label): reading a label object, the bytes
 * its signature covers, and verification against the issuer's `#atproto_label` key.
 *
 * The signed bytes are the DRISL (canonical DAG-CBOR) encoding of the label's schema fields only —
 * `ver`, `src`, `uri`, `cid`, `val`, `neg`, `cts`, `exp`, each as received (an absent optional
 * field stays absent; a missing `ver` is taken as 1) — never `sig`, `$type` or any other field a
 * server adds. The signature is ECDSA over SHA-256 of those bytes, 64 bytes, low-S.
 *
 * A label that fails a check is reported, never thrown. Verdicts: `valid`; `invalid` (the label
 * is malformed, its signature does not match the key, or its issuer's DID document has no label
 * key); `unchecked` (the key could not be fetched, or the label version is unknown).
 */
import { encodeCbor, type CborMap, type CborValue } from '../codec/cbor.js';
import { base64Encode } from '../codec/base.js';
import { jsonToCbor } from '../codec/json.js';
import { verifySignature, type PublicKey } from '../crypto/index.js';
import { isAtcliError } from '../errors.js';
import { describeCborValue as describe } from '../firehose/events.js';
import { isMap } from '../firehose/frame.js';
import { checkAtUri, checkCidString, checkDatetime, checkDid } from '../syntax/index.js';

/** The label schema version this code knows. */
export const LABEL_VERSION = 1;
/** `val` is at most 128 bytes (spec). */
export const MAX_LABEL_VALUE_BYTES = 128;

/** A label as received, in the data model (`sig` as bytes). */
export interface Label {
  ver: number | null;
  src: string;
  uri: string;
  cid: string | null;
  val: string;
  /** null when absent (absent means false). */
  neg: boolean | null;
  cts: string;
  exp: string | null;
  sig: Uint8Array | null;
}

export type LabelStatus = 'valid' | 'invalid' | 'unchecked';

/** A label as the commands show it. */
export interface LabelView {
  /** The stream message it came in (`labels tail`); null from `labels query`. */
  seq: number | null;
  src: string;
  uri: string;
  cid: string | null;
  val: string;
  /** A negation: it retracts an earlier label with the same src, uri and val. */
  neg: boolean;
  cts: string;
  exp: string | null;
  /** `exp` is at or before the time of the check. */
  expired: boolean;
  /** Neither a negation nor expired. */
  active: boolean;
  ver: number;
  /** Base64 (the `$bytes` form); null when the label carries none. */
  sig: string | null;
  status: LabelStatus;
  /** Why the label is invalid or unchecked. */
  reasons: string[];
}

export type KeyResolver = (did: string, opts: { fresh: boolean }) => Promise<PublicKey>;

/**
 * Read a label from its data-model form (a CBOR map from the stream, or JSON converted with
 * jsonToCbor). Returns the label (with placeholders for unusable fields) and what is wrong.
 */
export function parseLabel(value: CborValue): { label: Label; problems: string[] } {
  const problems: string[] = [];
  const m: CborMap = isMap(value) ? value : {};
  if (m !== value) problems.push(`the label is ${describe(value)}, not a map`);
  const str = (name: string, required: boolean): string | null => {
    const v = m[name];
    if (v === undefined || (v === null && !required)) {
      if (required) problems.push(`"${name}" is missing`);
      return null;
    }
    if (typeof v !== 'string') {
      problems.push(`"${name}" is ${describe(v)}, not a string`);
      return null;
    }
    return v;
  };
  const src = str('src', true);
  if (src !== null) {
    const p = checkDid(src);
    if (p !== null) problems.push(`"src" is not a valid DID: ${p}`);
  }
  const uri = str('uri', true);
  if (uri !== null && checkAtUri(uri) !== null && checkDid(uri) !== null) problems.push(`"uri" is neither an at:// URI nor a DID: ${checkAtUri(uri)}`);
  const cid = str('cid', false);
  if (cid !== null) {
    const p = checkCidString(cid);
    if (p !== null) problems.push(`"cid" is not a valid CID: ${p}`);
  }
  const val = str('val', true);
  if (val !== null && Buffer.byteLength(val, 'utf8') > MAX_LABEL_VALUE_BYTES) problems.push(`"val" is ${Buffer.byteLength(val, 'utf8')} bytes (at most ${MAX_LABEL_VALUE_BYTES})`);
  if (val === '') problems.push('"val" is empty');
  const cts = str('cts', true);
  if (cts !== null) {
    const p = checkDatetime(cts);
    if (p !== null) problems.push(`"cts" is not a valid datetime: ${p}`);
  }
  const exp = str('exp', false);
  if (exp !== null) {
    const p = checkDatetime(exp);
    if (p !== null) problems.push(`"exp" is not a valid datetime: ${p}`);
  }
  let ver: number | null = null;
  if (m.ver !== undefined) {
    if (typeof m.ver === 'number' && Number.isSafeInteger(m.ver)) ver = m.ver;
    else problems.push(`"ver" is ${describe(m.ver)}, not an integer`);
  }
  let neg: boolean | null = null;
  if (m.neg !== undefined) {
    if (typeof m.neg === 'boolean') neg = m.neg;
    else problems.push(`"neg" is ${describe(m.neg)}, not a boolean`);
  }
  let sig: Uint8Array | null = null;
  if (m.sig !== undefined) {
    if (m.sig instanceof Uint8Array) sig = m.sig;
    else problems.push(`"sig" is ${describe(m.sig)}, not bytes`);
  }
  return { label: { ver, src: src ?? '', uri: uri ?? '', cid, val: val ?? '', neg, cts: cts ?? '', exp, sig }, problems };
}

/** The bytes a label's signature covers: its schema fields (`ver` defaulting to 1), DRISL-encoded. */
export function labelSigningBytes(label: Label): Uint8Array {
  const unsigned: CborMap = { ver: label.ver ?? LABEL_VERSION, src: label.src, uri: label.uri, val: label.val, cts: label.cts };
  if (label.cid !== null) unsigned.cid = label.cid;
  if (label.neg !== null) unsigned.neg = label.neg;
  if (label.exp !== null) unsigned.exp = label.exp;
  return encodeCbor(unsigned);
}

/** The view of a label with a verdict; `now` decides `expired`. */
export function labelView(label: Label, seq: number | null, status: LabelStatus, reasons: string[], now: number): LabelView {
  const expAt = label.exp === null ? NaN : Date.parse(label.exp);
  const expired = Number.isFinite(expAt) && expAt <= now;
  const neg = label.neg === true;
  return {
    seq,
    src: label.src,
    uri: label.uri,
    cid: label.cid,
    val: label.val,
    neg,
    cts: label.cts,
    exp: label.exp,
    expired,
    active: !neg && !expired,
    ver: label.ver ?? LABEL_VERSION,
    sig: label.sig === null ? null : base64Encode(label.sig),
    status,
    reasons,
  };
}

export interface LabelVerifierOptions {
  /** The issuer's `#atproto_label` key (src → key). */
  resolveKey: KeyResolver;
  /** Check signatures (default true); without, every label is `unchecked` with the reason. */
  verify?: boolean;
  /** Least time between key refreshes of one issuer after a bad signature (default 10 s). */
  refreshAfterFailureMs?: number;
  /** How long a failed key look-up is remembered (default 60 s). */
  errorTtlMs?: number;
  /** Milliseconds since the epoch (expiry and cache times). */
  clock?: () => number;
}

interface KeyEntry {
  result: { key: PublicKey } | { error: string; invalid: boolean };
  at: number;
  lastFailureRefresh: number | null;
}

/** Largest number of issuers whose keys are remembered (labels name their issuer). */
const MAX_CACHED_ISSUERS = 10_000;

/**
 * Verifies labels against their issuers' label keys, resolving each issuer once (cached), and —
 * as the spec advises — re-resolving once after a bad signature in case the key was rotated.
 */
export class LabelVerifier {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly clock: () => number;
  readonly counts = { valid: 0, invalid: 0, unchecked: 0 };

  constructor(private readonly options: LabelVerifierOptions) {
    this.clock = options.clock ?? Date.now;
  }

  private async resolve(did: string, fresh: boolean): Promise<KeyEntry['result']> {
    let result: KeyEntry['result'];
    try {
      result = { key: await this.options.resolveKey(did, { fresh }) };
    } catch (err) {
      if (isAtcliError(err) && err.kind === 'interrupted') throw err;
      // The document was read and has no label key: the label cannot be valid (spec). Anything
      // else (network, unknown DID) means it could not be checked.
      const invalid = isAtcliError(err) && err.code === 'NoLabelKey';
      result = { error: err instanceof Error ? err.message : String(err), invalid };
    }
    const prev = this.keys.get(did);
    if (prev === undefined && this.keys.size >= MAX_CACHED_ISSUERS) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(did, { result, at: this.clock(), lastFailureRefresh: prev?.lastFailureRefresh ?? null });
    return result;
  }

  private async key(did: string): Promise<KeyEntry['result']> {
    const entry = this.keys.get(did);
    if (entry !== undefined && ('key' in entry.result || this.clock() - entry.at < (this.options.errorTtlMs ?? 60_000))) return entry.result;
    return this.resolve(did, entry !== undefined);
  }

  private tally(view: LabelView): LabelView {
    this.counts[view.status]++;
    return view;
  }

  /** Check one label in atproto JSON (`sig` as `{"$bytes": …}`), as queryLabels returns them. */
  async checkJson(json: unknown, seq: number | null): Promise<LabelView> {
    let value: CborValue;
    try {
      value = jsonToCbor(json);
    } catch (err) {
      const { label } = parseLabel(typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as CborMap) : {});
      return this.tally(labelView({ ...label, sig: null }, seq, 'invalid', [`the label is not valid atproto JSON: ${err instanceof Error ? err.message : String(err)}`], this.clock()));
    }
    return this.check(value, seq);
  }

  /** Check one label in the data model (from the stream, or converted JSON). */
  async check(value: CborValue, seq: number | null): Promise<LabelView> {
    const now = this.clock();
    const { label, problems } = parseLabel(value);
    if (problems.length > 0) return this.tally(labelView(label, seq, 'invalid', problems, now));
    if (this.options.verify === false) return this.tally(labelView(label, seq, 'unchecked', ['signatures were not checked'], now));
    if (label.ver !== null && label.ver !== LABEL_VERSION) return this.tally(labelView(label, seq, 'unchecked', [`label version ${label.ver} is not known (only ${LABEL_VERSION})`], now));
    if (label.sig === null) return this.tally(labelView(label, seq, 'invalid', ['the label has no signature ("sig")'], now));
    const bytes = labelSigningBytes(label);
    const sig = label.sig;
    const first = await this.key(label.src);
    if ('error' in first) return this.tally(labelView(label, seq, first.invalid ? 'invalid' : 'unchecked', [`cannot get the label key of ${label.src}: ${first.error}`], now));
    let key = first.key;
    let result = verifySignature(key, bytes, sig);
    if (!result.ok) {
      const entry = this.keys.get(label.src);
      const last = entry?.lastFailureRefresh ?? null;
      if (last === null || now - last >= (this.options.refreshAfterFailureMs ?? 10_000)) {
        if (entry) entry.lastFailureRefresh = now;
        const fresh = await this.resolve(label.src, true);
        const stored = this.keys.get(label.src);
        if (stored) stored.lastFailureRefresh = now;
        if ('key' in fresh && fresh.key.did() !== key.did()) {
          key = fresh.key;
          result = verifySignature(key, bytes, sig);
        }
      }
    }
    if (!result.ok) return this.tally(labelView(label, seq, 'invalid', [`bad signature: ${result.reason} (key ${key.did()})`], now));
    return this.tally(labelView(label, seq, 'valid', [], now));
  }
}
