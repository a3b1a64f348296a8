/**
 * Keys as people keep them in a file, an environment variable or a paste — every form atcli
 * writes, read back by one parser:
 *
 * - a bare key: private multikey (z…), 64 hex characters (with its curve given), did:key,
 *   public multikey, or the legacy raw-point multibase of old DID documents;
 * - the JSON that key generation writes (`{"type", "privateKey", "publicKey"}`) and the JSON of
 *   a key inspection (`{"type", "publicKey", "multikey", …}`);
 * - the text form of both: one `label  value` line per field (`type`, `private key`,
 *   `public key`, `did:key`, `multikey`; other labels are ignored), colour codes allowed.
 *
 * When a file holds both halves, they must belong together. `source` names where the text came
 * from in errors, which never repeat a private key.
 */
import { AtcliError, invalid, isAtcliError } from '../errors.js';
import { CURVES, isKeyType, type KeyType } from './curves.js';
import { parseAnyPublicKey, type PublicKeyForm } from './detect.js';
import { MAX_KEY_MULTIBASE_CHARS, decodeBase58btcMultibase, readVarint } from './encoding.js';
import { parsePrivateKey, type PrivateKey } from './private-key.js';
import type { PublicKey } from './public-key.js';

export interface KeyTextOptions {
  /** The curve of a hex private key or of a legacy public key (which do not say it). */
  type?: KeyType;
  /** Where the text came from, for messages ("key file k.json"). */
  source: string;
  /** What to tell the user when a hex key needs its curve. */
  howToGiveType?: string;
}

/** How the key was laid out: a bare key, JSON, or labelled text lines. */
export type KeyLayout = 'bare' | 'json' | 'fields';

export type ParsedKeyText =
  | { private: true; key: PrivateKey; publicKey: PublicKey; form: 'private-multikey' | 'private-hex'; layout: KeyLayout }
  | { private: false; publicKey: PublicKey; form: PublicKeyForm; layout: KeyLayout };

/** What a key inspection reports (plain data, no secret). */
export interface KeyDescription {
  type: KeyType;
  /** did:key */
  publicKey: string;
  multikey: string;
  private: boolean;
  form: PublicKeyForm | 'private-multikey' | 'private-hex';
  layout: KeyLayout;
}

interface KeyFields {
  layout: KeyLayout;
  type?: string;
  privateKey?: string;
  publicKey?: string;
  multikey?: string;
}

/** No key in any form atcli reads is longer than this (a did:key of the longest multibase key). */
const MAX_KEY_CHARS = 'did:key:'.length + MAX_KEY_MULTIBASE_CHARS;
const HEX_KEY = /^(?:0x)?[0-9a-fA-F]{64}$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const LABELS: Array<[string, keyof Omit<KeyFields, 'layout'>]> = [
  ['private key', 'privateKey'],
  ['public key', 'publicKey'],
  ['did:key', 'publicKey'],
  ['multikey', 'multikey'],
  ['type', 'type'],
];

function bad(source: string, message: string, hint?: string): AtcliError {
  return invalid('InvalidKeyText', `${source}: ${message}`, hint === undefined ? undefined : { hint });
}

function jsonFields(text: string, source: string): KeyFields {
  let obj: unknown;
  try {
    obj = JSON.parse(text) as unknown;
  } catch {
    throw bad(source, 'not a key (it starts with "{" but is not valid JSON)');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw bad(source, 'not a key (the JSON is not an object)');
  const o = obj as Record<string, unknown>;
  const fields: KeyFields = { layout: 'json' };
  for (const name of ['type', 'privateKey', 'publicKey', 'multikey'] as const) {
    const v = o[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw bad(source, `the JSON field "${name}" is not a string`);
    fields[name] = v;
  }
  if (fields.privateKey === undefined && fields.publicKey === undefined && fields.multikey === undefined) {
    throw bad(source, 'the JSON holds no key (no "privateKey", "publicKey" or "multikey" string)');
  }
  return fields;
}

function textFields(lines: string[], source: string): KeyFields {
  const fields: KeyFields = { layout: 'fields' };
  for (const raw of lines) {
    const line = raw.trim();
    const lower = line.toLowerCase();
    const found = LABELS.find(([label]) => lower.startsWith(label) && /^[:=]?\s/.test(line.slice(label.length)));
    if (found === undefined) continue;
    const value = line.slice(found[0].length).replace(/^[:=]?\s+/, '').trim();
    const name = found[1];
    if (fields[name] !== undefined && fields[name] !== value) throw bad(source, `two different values for "${found[0]}"`);
    fields[name] = value;
  }
  if (fields.privateKey === undefined && fields.publicKey === undefined && fields.multikey === undefined) {
    throw bad(source, `not a key: ${lines.length} lines, none of them labelled "private key", "public key", "did:key" or "multikey"`);
  }
  return fields;
}

/** The key values in the text, each refused when longer than any key (before anything decodes it). */
function splitFields(text: string, source: string): KeyFields & { bare?: string } {
  const t = text.replace(ANSI, '').trim();
  if (t === '') throw bad(source, 'empty: no key');
  const lines = t.split(/\r?\n/).filter((l) => l.trim() !== '');
  const fields: KeyFields & { bare?: string } = t.startsWith('{') ? jsonFields(t, source) : lines.length === 1 && !/\s/.test(t) ? { layout: 'bare', bare: t } : textFields(lines, source);
  for (const value of [fields.bare, fields.privateKey, fields.publicKey, fields.multikey]) {
    if (value !== undefined && value.length > MAX_KEY_CHARS) throw bad(source, `a ${value.length}-character value: no key is longer than ${MAX_KEY_CHARS} characters`);
  }
  return fields;
}

/** A private multikey (z… decoding to a secp256k1-priv or p256-priv multicodec) or a 64-hex scalar. */
function looksPrivate(value: string): boolean {
  if (HEX_KEY.test(value)) return true;
  const bytes = decodeBase58btcMultibase(value);
  const codec = bytes === null ? null : readVarint(bytes);
  return codec !== null && (codec.value === CURVES.k256.privCodecValue || codec.value === CURVES.p256.privCodecValue);
}

function withSource(err: unknown, opts: KeyTextOptions): never {
  if (!isAtcliError(err)) throw bad(opts.source, 'not a usable key');
  const hint =
    err.code === 'AmbiguousKeyType'
      ? `the key does not say its curve: ${opts.howToGiveType ?? 'give the key type (k256 or p256)'}`
      : err.hint;
  throw new AtcliError(err.kind, err.code, `${opts.source}: ${err.message}`, hint === undefined ? {} : { hint });
}

function parsePrivate(value: string, type: KeyType | undefined, opts: KeyTextOptions): PrivateKey {
  try {
    return parsePrivateKey(value, type === undefined ? {} : { type });
  } catch (err) {
    withSource(err, opts);
  }
}

function parsePublic(value: string, type: KeyType | undefined, opts: KeyTextOptions): { key: PublicKey; form: PublicKeyForm } {
  try {
    return parseAnyPublicKey(value, type === undefined ? {} : { type });
  } catch (err) {
    withSource(err, opts);
  }
}

/**
 * Parses a key in any form atcli writes. Throws invalid 'InvalidKeyText' for text that holds no
 * key or holds two that disagree, and the crypto errors (with `source` prefixed) for a bad key.
 */
export function parseKeyText(text: string, opts: KeyTextOptions): ParsedKeyText {
  const fields = splitFields(text, opts.source);
  let type = opts.type;
  if (fields.type !== undefined) {
    if (!isKeyType(fields.type)) throw bad(opts.source, `unknown key type ${JSON.stringify(fields.type.slice(0, 20))} (k256 or p256)`);
    if (type !== undefined && type !== fields.type) throw bad(opts.source, `the key is written as ${fields.type}, but ${type} was asked for`);
    type = fields.type;
  }
  const privateText = fields.bare !== undefined ? (looksPrivate(fields.bare) ? fields.bare : undefined) : fields.privateKey;
  const publicTexts = fields.bare !== undefined ? (privateText === undefined ? [fields.bare] : []) : [fields.publicKey, fields.multikey].filter((v): v is string => v !== undefined);

  let result: ParsedKeyText;
  if (privateText !== undefined) {
    const key = parsePrivate(privateText, type, opts);
    result = { private: true, key, publicKey: key.publicKey, form: HEX_KEY.test(privateText.trim()) ? 'private-hex' : 'private-multikey', layout: fields.layout };
  } else {
    const first = parsePublic(publicTexts[0] as string, type, opts);
    result = { private: false, publicKey: first.key, form: first.form, layout: fields.layout };
  }
  if (type !== undefined && result.publicKey.type !== type) throw bad(opts.source, `the key is ${result.publicKey.type}, but it is written as ${type}`);
  for (const other of result.private ? publicTexts : publicTexts.slice(1)) {
    if (parsePublic(other, result.publicKey.type, opts).key.did() !== result.publicKey.did()) {
      throw bad(opts.source, result.private ? 'the public key written beside the private key is not its public key' : 'the two public keys written do not match');
    }
  }
  return result;
}

/** A key inspection's report: the public half and how the key was written; never the secret. */
export function describeKeyText(text: string, opts: KeyTextOptions): KeyDescription {
  const parsed = parseKeyText(text, opts);
  const key = parsed.publicKey;
  return { type: key.type, publicKey: key.did(), multikey: key.multikey(), private: parsed.private, form: parsed.form, layout: parsed.layout };
}

/**
 * A private key in any form atcli writes (see the module comment). Throws invalid
 * 'InvalidPrivateKey' when the text holds only a public key.
 */
export function parsePrivateKeyText(text: string, opts: KeyTextOptions): PrivateKey {
  const fields = splitFields(text, opts.source);
  if (fields.bare !== undefined && !looksPrivate(fields.bare)) {
    // Not a private key: let the private-key parser say what it is ("a did:key, a public key", …).
    parsePrivate(fields.bare, opts.type, opts);
  }
  const parsed = parseKeyText(text, opts);
  if (!parsed.private) {
    throw invalid('InvalidPrivateKey', `${opts.source}: holds only a public key (${parsed.publicKey.did()}), not a private key`);
  }
  return parsed.key;
}
