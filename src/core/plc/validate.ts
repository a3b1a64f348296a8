/**
 * Limits and local validation of an operation before it is signed or sent (docs/plc-operations.md).
 *
 * The PLC spec and the reference directory disagree: the spec says 7500 bytes and
 * 1–5 rotation keys without duplicates; the directory (`server/src/constraints.ts`) enforces 4000
 * bytes and at most 10 keys without deduplication. atcli *builds* to the stricter of each.
 * Historical operations are judged more leniently by the audit-log replay (warnings, not errors).
 */
import { parseDidKey } from '../crypto/index.js';
import { checkUrlPolicy } from '../net/url-policy.js';
import { checkHandle } from '../syntax/index.js';
import { DID_KEY_SYNTAX_RE, didKeyKind, redactSecrets, safeKeyText } from './keys.js';
import { isSigned, parseAnyOperation, quoteValue, signedBytes, unsignedBytes } from './operation.js';
import type { AnyOperation, OperationData, PlcService } from './types.js';

export interface PlcLimits {
  /** Directory limit on the signed operation's DAG-CBOR size (constraints.ts). */
  maxOperationBytes: number;
  minRotationKeys: number;
  /** The spec's 5 (the directory allows 10). */
  maxRotationKeys: number;
  maxAlsoKnownAs: number;
  /** 253-character handle + `at://`. */
  maxAlsoKnownAsLength: number;
  maxServices: number;
  maxServiceIdLength: number;
  maxServiceTypeLength: number;
  maxServiceEndpointLength: number;
  maxVerificationMethods: number;
  maxVerificationMethodIdLength: number;
  maxVerificationMethodValueLength: number;
}

/** The values atcli builds to: the stricter of the PLC spec v0.3.0 and the reference directory. */
export const PLC_LIMITS: Readonly<PlcLimits> = Object.freeze({
  maxOperationBytes: 4000,
  minRotationKeys: 1,
  maxRotationKeys: 5,
  maxAlsoKnownAs: 10,
  maxAlsoKnownAsLength: 258,
  maxServices: 10,
  maxServiceIdLength: 32,
  maxServiceTypeLength: 256,
  maxServiceEndpointLength: 512,
  maxVerificationMethods: 10,
  maxVerificationMethodIdLength: 32,
  maxVerificationMethodValueLength: 256,
});

/** The spec's size limit ("currently 7500 bytes"), looser than the directory's 4000. */
export const SPEC_MAX_OPERATION_BYTES = 7500;
/** The directory's rotation-key limit, looser than the spec's 5. */
export const DIRECTORY_MAX_ROTATION_KEYS = 10;
/** The recovery window (PLC spec "Key Rotation & Account Recovery"); exactly 72 h is still inside. */
export const RECOVERY_WINDOW_MS = 72 * 60 * 60 * 1000;

/**
 * Bytes a signature adds to the DAG-CBOR of an unsigned operation: the key "sig" (4 bytes) and an
 * 86-character text string (2 + 86). The map header stays one byte (fewer than 24 entries).
 */
export const SIGNATURE_CBOR_OVERHEAD = 92;

export const ATPROTO_PDS_SERVICE = 'atproto_pds';
export const ATPROTO_PDS_TYPE = 'AtprotoPersonalDataServer';
export const ATPROTO_VERIFICATION_METHOD = 'atproto';

export interface BuildIssue {
  /** 'error' refuses the operation; 'warning' is shown but allowed. */
  level: 'error' | 'warning';
  /** The field concerned, e.g. `rotationKeys[2]`, `services.atproto_pds.endpoint`, or '' for the whole operation. */
  field: string;
  message: string;
}

export interface CheckOperationOptions {
  /** Override individual limits (for tests or a differently configured directory). */
  limits?: Partial<PlcLimits>;
  /** Check the atproto needs (signing key, PDS service, handle). Default true. */
  atproto?: boolean;
}

/**
 * Null when `endpoint` is acceptable as the atproto PDS endpoint of a new operation, otherwise
 * the reason. The URL policy (net/url-policy.ts) as for any URL the user gives: https to a public
 * host, or a loopback host (http allowed) for a local network; scheme, host and port only (the
 * identity resolver refuses anything else). The host must also be written in lower case, since
 * the operation publishes it as written.
 */
export function checkPdsEndpoint(endpoint: string): string | null {
  if (typeof endpoint !== 'string') return 'must be a string';
  const checked = checkUrlPolicy(endpoint, { dev: false, source: 'user', shape: 'origin' });
  if ('problem' in checked) return `${quoteValue(endpoint)} ${checked.problem.reason}`;
  if (!endpoint.startsWith(checked.ok.origin)) return `${quoteValue(endpoint)}: write the scheme and host name in lower case`;
  return null;
}

/** Why `key` cannot be a rotation key (never echoing a value that is not a public key), or null. */
function rotationKeyProblem(key: string): string | null {
  try {
    parseDidKey(key);
    return null;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return didKeyKind(key) === 'ed25519'
      ? `${key} is an ed25519 key; rotation keys must be p256 or k256`
      : `is not a p256/k256 did:key: ${reason}`;
  }
}

function issue(level: BuildIssue['level'], field: string, message: string): BuildIssue {
  return { level, field: redactSecrets(field), message: redactSecrets(message) };
}

function fieldPath(parent: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** Limit checks on operation data (shared by the build check and the audit-log replay's warnings). */
export function checkOperationDataLimits(data: OperationData, limits: PlcLimits = PLC_LIMITS): BuildIssue[] {
  const out: BuildIssue[] = [];
  // rotationKeys
  const rk = data.rotationKeys;
  if (rk.length < limits.minRotationKeys) {
    out.push(issue('error', 'rotationKeys', 'has no rotation keys; nobody could ever update or recover this identity'));
  }
  if (rk.length > limits.maxRotationKeys) {
    out.push(
      issue(
        'error',
        'rotationKeys',
        `has ${rk.length} rotation keys; the PLC spec allows at most ${limits.maxRotationKeys} ` +
          `(the reference directory accepts up to ${DIRECTORY_MAX_ROTATION_KEYS})`,
      ),
    );
  }
  const seenKeys = new Map<string, number>();
  rk.forEach((key, i) => {
    const first = seenKeys.get(key);
    if (first !== undefined) {
      out.push(issue('error', `rotationKeys[${i}]`, `duplicates rotationKeys[${first}] (${safeKeyText(key)}); the spec forbids duplicates`));
    } else {
      seenKeys.set(key, i);
    }
    const problem = rotationKeyProblem(key);
    if (problem !== null) out.push(issue('error', `rotationKeys[${i}]`, problem));
  });
  // alsoKnownAs
  const aka = data.alsoKnownAs;
  if (aka.length > limits.maxAlsoKnownAs) {
    out.push(issue('error', 'alsoKnownAs', `has ${aka.length} entries (max ${limits.maxAlsoKnownAs})`));
  }
  const seenAka = new Map<string, number>();
  aka.forEach((entry, i) => {
    if (entry.length > limits.maxAlsoKnownAsLength) {
      out.push(issue('error', `alsoKnownAs[${i}]`, `is ${entry.length} characters long (max ${limits.maxAlsoKnownAsLength})`));
    }
    const first = seenAka.get(entry);
    if (first !== undefined) {
      out.push(issue('error', `alsoKnownAs[${i}]`, `duplicates alsoKnownAs[${first}] (${quoteValue(entry)})`));
    } else {
      seenAka.set(entry, i);
    }
  });
  // services
  const services = Object.entries(data.services);
  if (services.length > limits.maxServices) {
    out.push(issue('error', 'services', `has ${services.length} entries (max ${limits.maxServices})`));
  }
  for (const [id, svc] of services) {
    const path = fieldPath('services', id);
    if (id.length > limits.maxServiceIdLength) {
      out.push(issue('error', path, `service id is ${id.length} characters long (max ${limits.maxServiceIdLength})`));
    }
    if (id.length === 0) out.push(issue('error', path, 'service id is empty'));
    if (id.startsWith('#')) out.push(issue('error', path, 'service id must not start with "#" (it is added when the DID document is rendered)'));
    if (svc.type.length > limits.maxServiceTypeLength) {
      out.push(issue('error', `${path}.type`, `is ${svc.type.length} characters long (max ${limits.maxServiceTypeLength})`));
    }
    if (svc.endpoint.length > limits.maxServiceEndpointLength) {
      out.push(
        issue('error', `${path}.endpoint`, `is ${svc.endpoint.length} characters long (max ${limits.maxServiceEndpointLength})`),
      );
    }
  }
  // verificationMethods
  const vms = Object.entries(data.verificationMethods);
  if (vms.length > limits.maxVerificationMethods) {
    out.push(issue('error', 'verificationMethods', `has ${vms.length} entries (max ${limits.maxVerificationMethods})`));
  }
  for (const [id, key] of vms) {
    const path = fieldPath('verificationMethods', id);
    if (id.length > limits.maxVerificationMethodIdLength) {
      out.push(issue('error', path, `id is ${id.length} characters long (max ${limits.maxVerificationMethodIdLength})`));
    }
    if (id.length === 0) out.push(issue('error', path, 'id is empty'));
    if (id.startsWith('#')) out.push(issue('error', path, 'id must not start with "#" (it is added when the DID document is rendered)'));
    if (key.length > limits.maxVerificationMethodValueLength) {
      out.push(issue('error', path, `value is ${key.length} characters long (max ${limits.maxVerificationMethodValueLength})`));
    }
    if (!DID_KEY_SYNTAX_RE.test(key)) {
      out.push(issue('error', path, 'is not a did:key (did:key:z + base58btc)'));
    } else if (didKeyKind(key) === 'private') {
      out.push(issue('error', path, 'carries a PRIVATE key multicodec: never publish it; use the public did:key'));
    }
  }
  return out;
}

function checkAtprotoNeeds(data: OperationData): BuildIssue[] {
  const out: BuildIssue[] = [];
  // verificationMethods.atproto
  const vmField = fieldPath('verificationMethods', ATPROTO_VERIFICATION_METHOD);
  const signingKey = Object.prototype.hasOwnProperty.call(data.verificationMethods, ATPROTO_VERIFICATION_METHOD)
    ? data.verificationMethods[ATPROTO_VERIFICATION_METHOD]
    : undefined;
  if (signingKey === undefined) {
    out.push(issue('error', vmField, 'is missing: an atproto account needs a p256 or k256 signing key here'));
  } else if (DID_KEY_SYNTAX_RE.test(signingKey)) {
    try {
      parseDidKey(signingKey);
    } catch (err) {
      if (didKeyKind(signingKey) === 'ed25519') {
        out.push(
          issue('warning', vmField, 'is an ed25519 key: PLC accepts it, but atproto can only use p256 or k256 signing keys'),
        );
      } else {
        out.push(
          issue('error', vmField, `is not a usable p256/k256 key: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
    }
  }
  // services.atproto_pds
  const pdsField = fieldPath('services', ATPROTO_PDS_SERVICE);
  const pds: PlcService | undefined = Object.prototype.hasOwnProperty.call(data.services, ATPROTO_PDS_SERVICE)
    ? data.services[ATPROTO_PDS_SERVICE]
    : undefined;
  if (pds === undefined) {
    out.push(issue('error', pdsField, 'is missing: an atproto account needs its PDS here'));
  } else {
    if (pds.type !== ATPROTO_PDS_TYPE) {
      out.push(issue('error', `${pdsField}.type`, `must be ${ATPROTO_PDS_TYPE}, got ${quoteValue(pds.type)}`));
    }
    const reason = checkPdsEndpoint(pds.endpoint);
    if (reason !== null) out.push(issue('error', `${pdsField}.endpoint`, reason));
  }
  // alsoKnownAs[0]
  const first = data.alsoKnownAs[0];
  if (first === undefined) {
    out.push(issue('error', 'alsoKnownAs', 'is empty: an atproto account needs at://<handle> as its first entry'));
  } else if (!first.startsWith('at://')) {
    out.push(issue('error', 'alsoKnownAs[0]', `must be at://<handle> (the primary handle), got ${quoteValue(first)}`));
  } else {
    const reason = checkHandle(first.slice('at://'.length));
    if (reason !== null) out.push(issue('error', 'alsoKnownAs[0]', `${quoteValue(first)} does not name a valid handle: ${reason}`));
  }
  return out;
}

/**
 * Everything atcli checks locally before an operation is signed or sent. Errors refuse the
 * operation; warnings are shown. Accepts a signed or unsigned operation (the size of an unsigned
 * one is its size once signed). Checks:
 * - shape (as `parseAnyOperation`); legacy `create` is never built;
 * - signed DAG-CBOR ≤ 4000 bytes (the directory; the spec says 7500);
 * - 1–5 rotation keys, no duplicates, each a p256/k256 did:key;
 * - alsoKnownAs ≤ 10, each ≤ 258 characters, unique; services ≤ 10 (id ≤ 32, type ≤ 256,
 *   endpoint ≤ 512); verificationMethods ≤ 10 (id ≤ 32, value ≤ 256, did:key syntax);
 * - atproto needs (unless `atproto: false`): `verificationMethods.atproto` p256/k256 (ed25519 is
 *   only a warning), `services.atproto_pds` of type AtprotoPersonalDataServer with an https URL
 *   (http only for loopback), `alsoKnownAs[0]` = `at://<valid handle>`.
 */
export function checkOperationForBuild(op: unknown, options: CheckOperationOptions = {}): BuildIssue[] {
  const limits: PlcLimits = { ...PLC_LIMITS, ...options.limits };
  let parsed: AnyOperation;
  try {
    parsed = parseAnyOperation(op);
  } catch (err) {
    const field = (err as { details?: { field?: unknown } }).details?.field;
    return [issue('error', typeof field === 'string' ? field : '', err instanceof Error ? err.message : String(err))];
  }
  const out: BuildIssue[] = [];
  if (parsed.type === 'create') {
    out.push(
      issue('error', 'type', 'the legacy "create" format is deprecated and must not be used for new operations; build a plc_operation'),
    );
    return out;
  }
  const size = isSigned(parsed) ? signedBytes(parsed).length : unsignedBytes(parsed).length + SIGNATURE_CBOR_OVERHEAD;
  if (size > limits.maxOperationBytes) {
    out.push(
      issue(
        'error',
        '',
        `the signed operation is ${size} bytes of DAG-CBOR; the directory accepts at most ${limits.maxOperationBytes} ` +
          `(the PLC spec says ${SPEC_MAX_OPERATION_BYTES}; operations are built to the stricter limit)`,
      ),
    );
  }
  if (parsed.type === 'plc_tombstone') return out;
  out.push(...checkOperationDataLimits(parsed, limits));
  if (options.atproto !== false) out.push(...checkAtprotoNeeds(parsed));
  return out;
}

/** Only the errors of a build check. */
export function buildErrors(issues: readonly BuildIssue[]): BuildIssue[] {
  return issues.filter((i) => i.level === 'error');
}

/** One line per issue: `error: rotationKeys[1]: …`. */
export function formatBuildIssue(i: BuildIssue): string {
  return `${i.level}: ${i.field === '' ? '' : `${i.field}: `}${i.message}`;
}

/**
 * The lock-out guard: when the operator holds (the private key of) at least one rotation key of
 * `before`, an operation whose `after` state lists none of `heldKeys` would lock them out of the
 * identity for good. Returns the reason, or null when the operator keeps a key (or held none
 * before, or `after` is a tombstone, which is refused or confirmed separately).
 */
export function lockoutProblem(
  before: OperationData | null,
  after: OperationData | null,
  heldKeys: readonly string[],
): string | null {
  if (before === null || after === null) return null;
  const held = new Set(heldKeys);
  const heldBefore = before.rotationKeys.filter((k) => held.has(k));
  if (heldBefore.length === 0) return null;
  if (after.rotationKeys.some((k) => held.has(k))) return null;
  const positions = before.rotationKeys.flatMap((k, i) => (held.has(k) ? [`#${i}`] : []));
  return (
    `after this operation you would hold none of the rotation keys (you now hold ${positions.join(', ')}): ` +
    'you could never update or recover this identity again'
  );
}
