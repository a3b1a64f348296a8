/**
 * Identity state and the DID document the directory renders from it (packages/lib/src/document.ts
 * `formatDidDoc` in the reference implementation, github.com/did-method-plc/did-method-plc).
 */
import { invalid } from '../errors.js';
import { parseDidKey } from '../crypto/index.js';
import { DID_KEY_SYNTAX_RE, didKeyKind } from './keys.js';
import { operationData, quoteValue } from './operation.js';
import type {
  AnyOperation,
  DidDocService,
  DidDocVerificationMethod,
  OperationData,
  PlcData,
  PlcDidDocument,
} from './types.js';

export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const P256_CONTEXT = 'https://w3id.org/security/suites/ecdsa-2019/v1';
export const K256_CONTEXT = 'https://w3id.org/security/suites/secp256k1-2019/v1';


/**
 * `{did, rotationKeys, verificationMethods, alsoKnownAs, services}` as `GET /{did}/data` returns
 * it, from an operation (legacy `create` normalised). Null for a tombstone.
 */
export function dataFromOperation(did: string, op: AnyOperation): PlcData | null {
  const data = operationData(op);
  if (data === null) return null;
  return { did, ...data };
}

function isOperation(value: AnyOperation | OperationData): value is AnyOperation {
  return typeof (value as { type?: unknown }).type === 'string';
}

/**
 * The DID document for `did` from an operation or from operation data:
 * `@context` = did/v1 + multikey/v1, plus ecdsa-2019 for a p256 key and secp256k1-2019 for a k256
 * key (once each, in first-use order); `verificationMethod` ids are `<did>#<name>`, type Multikey,
 * controller `did`, `publicKeyMultibase` = the did:key without its prefix; `service` ids are
 * `#<name>`; `alsoKnownAs` is copied as is. Verification methods of other key types (allowed since
 * PLC v0.2, e.g. ed25519) are rendered the same way without a suite context.
 *
 * Throws invalid 'PlcDeactivated' for a tombstone, and 'InvalidPlcData' for a verification
 * method that is not even a syntactically valid did:key.
 */
export function documentFromOperation(did: string, opOrData: AnyOperation | OperationData): PlcDidDocument {
  let data: OperationData | null;
  if (isOperation(opOrData)) {
    data = operationData(opOrData);
    if (data === null) {
      throw invalid('PlcDeactivated', `${did} is deactivated (its current operation is a tombstone); it has no DID document`);
    }
  } else {
    data = opOrData;
  }
  const context = [DID_CONTEXT, MULTIKEY_CONTEXT];
  const verificationMethod: DidDocVerificationMethod[] = [];
  for (const [name, key] of Object.entries(data.verificationMethods)) {
    if (typeof key !== 'string' || !DID_KEY_SYNTAX_RE.test(key) || didKeyKind(key) === 'private') {
      throw invalid('InvalidPlcData', `verification method ${quoteValue(name)} is not a public did:key (did:key:z + base58btc)`);
    }
    let suite: string | undefined;
    try {
      suite = parseDidKey(key).type === 'p256' ? P256_CONTEXT : K256_CONTEXT;
    } catch {
      suite = undefined; // another key type (e.g. ed25519): no suite context
    }
    if (suite !== undefined && !context.includes(suite)) context.push(suite);
    verificationMethod.push({
      id: `${did}#${name}`,
      type: 'Multikey',
      controller: did,
      publicKeyMultibase: key.slice('did:key:'.length),
    });
  }
  const service: DidDocService[] = [];
  for (const [name, svc] of Object.entries(data.services)) {
    service.push({ id: `#${name}`, type: svc.type, serviceEndpoint: svc.endpoint });
  }
  return {
    '@context': context,
    id: did,
    alsoKnownAs: [...data.alsoKnownAs],
    verificationMethod,
    service,
  };
}
