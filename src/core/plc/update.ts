/**
 * Building new operations from the current state and describing what an operation changes
 * before it is signed (docs/plc-operations.md).
 *
 * `buildUpdate` copies every unrelated service, verification method and alsoKnownAs entry of the
 * current state and applies only the requested edits. The result is unsigned; run
 * `checkOperationForBuild` on it before signing.
 */
import { invalid, type AtcliError } from '../errors.js';
import { parseDidKey } from '../crypto/index.js';
import { checkHandle } from '../syntax/index.js';
import { redactSecrets, safeKeyText } from './keys.js';
import { checkOperationCid, quoteValue, setOwn } from './operation.js';
import type {
  OperationData,
  PlcService,
  UnsignedPlcOperation,
  UnsignedPlcTombstone,
} from './types.js';
import {
  ATPROTO_PDS_SERVICE,
  ATPROTO_PDS_TYPE,
  ATPROTO_VERIFICATION_METHOD,
  checkPdsEndpoint,
} from './validate.js';

function badUpdate(message: string, hint?: string): AtcliError {
  return invalid('InvalidPlcUpdate', redactSecrets(message), hint === undefined ? undefined : { hint });
}

/** `alice.example.com`, `@alice.example.com` or `at://alice.example.com` → `at://alice.example.com`. */
function handleUri(input: string): string {
  if (typeof input !== 'string') throw badUpdate('handle must be a string');
  let h = input;
  if (h.startsWith('at://')) h = h.slice(5);
  else if (h.startsWith('@')) h = h.slice(1);
  const reason = checkHandle(h);
  if (reason !== null) throw badUpdate(`invalid handle ${quoteValue(input)}: ${reason}`);
  return `at://${h.toLowerCase()}`;
}

function pdsService(endpoint: string): PlcService {
  const reason = checkPdsEndpoint(endpoint);
  if (reason !== null) throw badUpdate(`invalid PDS endpoint: ${reason}`);
  return { type: ATPROTO_PDS_TYPE, endpoint };
}

function signingDidKey(key: string, what: string): string {
  try {
    return parseDidKey(key).did();
  } catch (err) {
    throw badUpdate(`${what} is not a p256/k256 did:key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function checkPrev(prev: unknown): string {
  if (typeof prev !== 'string') throw badUpdate('prev (the CID of the operation to extend) is required');
  const reason = checkOperationCid(prev);
  if (reason !== null) throw badUpdate(`invalid prev: ${reason}`);
  return prev;
}

function copyData(data: OperationData): OperationData {
  const verificationMethods: Record<string, string> = {};
  for (const [k, v] of Object.entries(data.verificationMethods)) setOwn(verificationMethods, k, v);
  const services: Record<string, PlcService> = {};
  for (const [k, v] of Object.entries(data.services)) setOwn(services, k, { type: v.type, endpoint: v.endpoint });
  return {
    rotationKeys: [...data.rotationKeys],
    verificationMethods,
    alsoKnownAs: [...data.alsoKnownAs],
    services,
  };
}

export interface PlcGenesisInput {
  /** Priority order (index 0 highest); each a p256/k256 did:key. */
  rotationKeys: readonly string[];
  /** The atproto signing key (verificationMethods.atproto), a p256/k256 did:key. */
  signingKey: string;
  handle: string;
  /** PDS URL (https; http only for a loopback host). */
  pds: string;
}

/** An unsigned genesis `plc_operation` (prev: null) for a new atproto identity. */
export function buildGenesis(input: PlcGenesisInput): UnsignedPlcOperation {
  const rotationKeys = input.rotationKeys.map((k, i) => signingDidKey(k, `rotation key #${i}`));
  return {
    type: 'plc_operation',
    rotationKeys,
    verificationMethods: { [ATPROTO_VERIFICATION_METHOD]: signingDidKey(input.signingKey, 'signing key') },
    alsoKnownAs: [handleUri(input.handle)],
    services: { [ATPROTO_PDS_SERVICE]: pdsService(input.pds) },
    prev: null,
  };
}

export interface PlcUpdateEdits {
  /** CID of the operation this update extends (the current head, or the fork point of a recovery). */
  prev: string;
  /** New primary handle: becomes alsoKnownAs[0], replacing the old primary `at://` entry. */
  handle?: string;
  /** New PDS endpoint: services.atproto_pds = {AtprotoPersonalDataServer, endpoint}. */
  pds?: string;
  /** New atproto signing key: verificationMethods.atproto. */
  signingKey?: string;
  /** Rotation keys to add (each a p256/k256 did:key, not already present). */
  addRotationKeys?: readonly string[];
  /** Where added keys go: 'last' (lowest priority, default) or 'first' (highest priority, in the given order). */
  addRotationKeysAt?: 'first' | 'last';
  /** Rotation keys to remove (each must be present). */
  removeRotationKeys?: readonly string[];
}

/**
 * An unsigned `plc_operation` that applies `edits` to `current` (the normalised state of the
 * operation `prev` names) and keeps everything else as it is: every other service, verification
 * method and alsoKnownAs entry, and the order of the remaining rotation keys.
 * Throws invalid 'InvalidPlcUpdate' for a malformed edit (bad handle, endpoint, key or prev, adding
 * a key that is already present, removing one that is not).
 */
export function buildUpdate(current: OperationData, edits: PlcUpdateEdits): UnsignedPlcOperation {
  const prev = checkPrev(edits.prev);
  const data = copyData(current);

  if (edits.handle !== undefined) {
    const uri = handleUri(edits.handle);
    const oldPrimary = data.alsoKnownAs.findIndex((a) => a.startsWith('at://'));
    const rest = data.alsoKnownAs.filter((a, i) => i !== oldPrimary && a !== uri);
    data.alsoKnownAs = [uri, ...rest];
  }
  if (edits.pds !== undefined) {
    setOwn(data.services, ATPROTO_PDS_SERVICE, pdsService(edits.pds));
  }
  if (edits.signingKey !== undefined) {
    setOwn(data.verificationMethods, ATPROTO_VERIFICATION_METHOD, signingDidKey(edits.signingKey, 'signing key'));
  }
  if (edits.removeRotationKeys !== undefined) {
    for (const key of edits.removeRotationKeys) {
      if (!data.rotationKeys.includes(key)) {
        throw badUpdate(`cannot remove rotation key ${safeKeyText(key)}: it is not one of the current rotation keys`);
      }
      data.rotationKeys = data.rotationKeys.filter((k) => k !== key);
    }
  }
  if (edits.addRotationKeys !== undefined) {
    const added: string[] = [];
    edits.addRotationKeys.forEach((key, i) => {
      const didKey = signingDidKey(key, `rotation key to add #${i}`);
      if (data.rotationKeys.includes(didKey) || added.includes(didKey)) {
        throw badUpdate(`rotation key ${didKey} is already present; rotation keys must not repeat`);
      }
      added.push(didKey);
    });
    data.rotationKeys = edits.addRotationKeysAt === 'first' ? [...added, ...data.rotationKeys] : [...data.rotationKeys, ...added];
  }
  return {
    type: 'plc_operation',
    rotationKeys: data.rotationKeys,
    verificationMethods: data.verificationMethods,
    alsoKnownAs: data.alsoKnownAs,
    services: data.services,
    prev,
  };
}

/** An unsigned tombstone (deactivation) extending `prev`. */
export function buildTombstone(prev: string): UnsignedPlcTombstone {
  return { type: 'plc_tombstone', prev: checkPrev(prev) };
}

export interface PlcChange {
  field: 'rotationKeys' | 'verificationMethods' | 'alsoKnownAs' | 'services' | 'status';
  action: 'added' | 'removed' | 'changed' | 'moved';
  /** Name of the verification method or service. */
  name?: string;
  /** Position in the list before the operation (rotationKeys, alsoKnownAs). */
  fromIndex?: number;
  /** Position in the list after the operation. */
  toIndex?: number;
  before?: string | PlcService;
  after?: string | PlcService;
  /** One human-readable line. */
  message: string;
}

const EMPTY: OperationData = { rotationKeys: [], verificationMethods: {}, alsoKnownAs: [], services: {} };

function priorityNote(index: number, length: number): string {
  if (index === 0) return ' (highest priority)';
  if (index === length - 1) return ' (lowest priority)';
  return '';
}

function diffList(
  field: 'rotationKeys' | 'alsoKnownAs',
  noun: string,
  before: readonly string[],
  after: readonly string[],
): PlcChange[] {
  const out: PlcChange[] = [];
  const show = field === 'rotationKeys' ? safeKeyText : redactSecrets;
  const beforeIdx = new Map<string, number>();
  before.forEach((v, i) => {
    if (!beforeIdx.has(v)) beforeIdx.set(v, i);
  });
  const afterIdx = new Map<string, number>();
  after.forEach((v, i) => {
    if (!afterIdx.has(v)) afterIdx.set(v, i);
  });
  const ranked = field === 'rotationKeys';
  for (const [v, i] of beforeIdx) {
    if (!afterIdx.has(v)) {
      out.push({ field, action: 'removed', fromIndex: i, before: show(v), message: `${noun} removed (was #${i}): ${show(v)}` });
    }
  }
  for (const [v, i] of afterIdx) {
    if (!beforeIdx.has(v)) {
      const note = ranked ? priorityNote(i, after.length) : '';
      out.push({ field, action: 'added', toIndex: i, after: show(v), message: `${noun} added at #${i}${note}: ${show(v)}` });
    }
  }
  // Reordering among the entries present on both sides (a shift caused only by additions or
  // removals is not a move).
  const commonBefore = [...beforeIdx.keys()].filter((v) => afterIdx.has(v));
  const commonAfter = [...afterIdx.keys()].filter((v) => beforeIdx.has(v));
  commonAfter.forEach((v, rank) => {
    if (commonBefore[rank] !== v) {
      const from = beforeIdx.get(v)!;
      const to = afterIdx.get(v)!;
      out.push({ field, action: 'moved', fromIndex: from, toIndex: to, before: show(v), after: show(v), message: `${noun} moved from #${from} to #${to}: ${show(v)}` });
    }
  });
  return out;
}

function sameService(a: PlcService, b: PlcService): boolean {
  return a.type === b.type && a.endpoint === b.endpoint;
}

/**
 * What changes between two states (for showing an operation before it is signed). `before` null
 * means nothing existed yet (a genesis); `after` null means the operation is a tombstone.
 * Entries come in a stable order: status, rotationKeys, verificationMethods, alsoKnownAs, services.
 */
export function diffOperationData(before: OperationData | null, after: OperationData | null): PlcChange[] {
  const out: PlcChange[] = [];
  if (after === null) {
    out.push({
      field: 'status',
      action: 'changed',
      message: 'deactivates the DID (tombstone): its DID document and all its data are removed',
    });
    return out;
  }
  if (before === null) {
    out.push({ field: 'status', action: 'added', message: 'creates a new DID (genesis operation)' });
  }
  const b = before ?? EMPTY;
  out.push(...diffList('rotationKeys', 'rotation key', b.rotationKeys, after.rotationKeys));

  for (const [name, key] of Object.entries(b.verificationMethods)) {
    if (!Object.prototype.hasOwnProperty.call(after.verificationMethods, name)) {
      out.push({ field: 'verificationMethods', action: 'removed', name, before: safeKeyText(key), message: `verification method ${quoteValue(name)} removed (was ${safeKeyText(key)})` });
    }
  }
  for (const [name, key] of Object.entries(after.verificationMethods)) {
    if (!Object.prototype.hasOwnProperty.call(b.verificationMethods, name)) {
      out.push({ field: 'verificationMethods', action: 'added', name, after: safeKeyText(key), message: `verification method ${quoteValue(name)} added: ${safeKeyText(key)}` });
    } else if (b.verificationMethods[name] !== key) {
      const old = b.verificationMethods[name]!;
      out.push({
        field: 'verificationMethods',
        action: 'changed',
        name,
        before: safeKeyText(old),
        after: safeKeyText(key),
        message: `verification method ${quoteValue(name)} changed: ${safeKeyText(old)} → ${safeKeyText(key)}`,
      });
    }
  }

  out.push(...diffList('alsoKnownAs', 'alsoKnownAs entry', b.alsoKnownAs, after.alsoKnownAs));

  for (const [name, svc] of Object.entries(b.services)) {
    if (!Object.prototype.hasOwnProperty.call(after.services, name)) {
      out.push({
        field: 'services',
        action: 'removed',
        name,
        before: { ...svc },
        message: `service ${quoteValue(name)} removed (was ${svc.type} ${svc.endpoint})`,
      });
    }
  }
  for (const [name, svc] of Object.entries(after.services)) {
    if (!Object.prototype.hasOwnProperty.call(b.services, name)) {
      out.push({ field: 'services', action: 'added', name, after: { ...svc }, message: `service ${quoteValue(name)} added: ${svc.type} ${svc.endpoint}` });
      continue;
    }
    const old = b.services[name]!;
    if (!sameService(old, svc)) {
      const parts: string[] = [];
      if (old.type !== svc.type) parts.push(`type ${old.type} → ${svc.type}`);
      if (old.endpoint !== svc.endpoint) parts.push(`endpoint ${old.endpoint} → ${svc.endpoint}`);
      out.push({
        field: 'services',
        action: 'changed',
        name,
        before: { ...old },
        after: { ...svc },
        message: `service ${quoteValue(name)} changed: ${parts.join(', ')}`,
      });
    }
  }
  return out;
}
